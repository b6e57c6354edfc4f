"""Routes of the `admin` domain."""
