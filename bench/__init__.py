"""`make bench`: a reproducible benchmark of the catalogue, search and checkout."""
