"""Routes of the `orders` domain."""
