"""Routes of the `payments` domain."""
