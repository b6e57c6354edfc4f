"""Routes of the `cooperatives` domain."""
