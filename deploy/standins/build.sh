#!/bin/sh
# Builds local stand-ins for debian:bookworm-slim, postgres:15-bookworm and redis:7-bookworm from
# Debian's packages, for a machine that cannot reach Docker Hub (see README.md here). Run as root
# from anywhere: sh deploy/standins/build.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
rootfs=$(mktemp -d /tmp/bookworm-rootfs.XXXXXX)
trap 'rm -rf "$rootfs"' EXIT

debootstrap --variant=minbase bookworm "$rootfs" http://deb.debian.org/debian
# As in the official image: bookworm, its updates and its security archive; no apt caches.
rm -f "$rootfs/etc/apt/sources.list"
cat > "$rootfs/etc/apt/sources.list.d/debian.sources" <<'SOURCES'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
chroot "$rootfs" apt-get clean
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin
# A build machine behind a TLS-inspecting proxy: trust the same extra CAs as this host (they
# take effect when an image installs ca-certificates). Nothing is added where there are none.
if ls /usr/local/share/ca-certificates/*.crt >/dev/null 2>&1; then
  mkdir -p "$rootfs/usr/local/share/ca-certificates"
  cp /usr/local/share/ca-certificates/*.crt "$rootfs/usr/local/share/ca-certificates/"
fi
tar -C "$rootfs" -c . | docker import --change 'CMD ["bash"]' - debian:bookworm-slim

# --network host: this machine's dockerd runs with --iptables=false (no NAT for the bridge).
docker build --network host -t postgres:15-bookworm "$here/postgres"
docker build --network host -t redis:7-bookworm "$here/redis"
