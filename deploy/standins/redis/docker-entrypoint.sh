#!/bin/sh
# As the official image: redis-server runs as the redis user, without protected mode (the
# container's network is the boundary), with whatever options the command line gives.
set -eu
if [ "$1" = redis-server ]; then
  shift
  exec setpriv --reuid=redis --regid=redis --init-groups redis-server --protected-mode no "$@"
fi
exec "$@"
