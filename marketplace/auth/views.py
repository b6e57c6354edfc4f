"""Routes of the `auth` domain."""
