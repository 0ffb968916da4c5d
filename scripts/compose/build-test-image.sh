#!/usr/bin/env bash
# Assembles the compose tests' image without a registry or base image: the built binaries, every shared
# library ldd names for them, nats-server and its configuration (deploy/nats), tini and busybox, and the
# signed demo artifacts, imported with `podman import`. Users build the same layout from the Dockerfile instead.
#   scripts/compose/build-test-image.sh [BIN_DIR]     (default .build/debug; LATTICE_IMAGE names the image)
set -euo pipefail
cd "$(dirname "$0")/../.."
export CONTAINERS_CONF=${CONTAINERS_CONF:-$PWD/scripts/compose/containers.conf}
image=${LATTICE_IMAGE:-localhost/lattice-host:test}
bin=${1:-.build/debug}
products=(lattice-host lattice httpserver-provider keyvalue-provider test-provider)
for product in "${products[@]}"; do
    [[ -x "$bin/$product" ]] || { echo "build-test-image: $bin/$product is missing; run swift build first" >&2; exit 1; }
done

root=$(mktemp -d "${TMPDIR:-/tmp}/lattice-rootfs.XXXXXX")
trap 'rm -rf "$root" "$root.tar"' EXIT
mkdir -p "$root"/{opt/lattice/bin,opt/lattice/actors,opt/lattice/nats,usr/bin,usr/sbin,bin,etc,root,data,tmp}
chmod 1777 "$root/tmp"

executables=()
for product in "${products[@]}"; do
    cp "$bin/$product" "$root/opt/lattice/bin/"
    executables+=("$bin/$product")
done
nats=$(command -v nats-server)
cp "$nats" "$root/usr/sbin/nats-server"
executables+=("$nats")
cp /usr/bin/tini-static "$root/usr/bin/tini"
cp /bin/busybox "$root/bin/busybox"
executables+=(/bin/busybox)
for applet in sh ps kill sleep cat grep sed head date wget ls; do ln -s busybox "$root/bin/$applet"; done

# Every library the executables load, at the path the loader looks for it (the Swift runtime included);
# static executables (busybox-static) need none.
for executable in "${executables[@]}"; do
    { ldd "$executable" 2>/dev/null || true; } | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'
done | sort -u | while read -r library; do
    cp -L --parents "$library" "$root"
done

cp actors/*.wasm "$root/opt/lattice/actors/"
cp deploy/nats/* "$root/opt/lattice/nats/"
install -m 0755 deploy/lattice-demo "$root/opt/lattice/bin/lattice-demo"
deploy/prepare-demo.sh "$bin" actors "$root/opt/lattice/demo" >/dev/null
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\n' >"$root/etc/group"

tar -C "$root" -cf "$root.tar" .
podman rmi -f "$image" >/dev/null 2>&1 || true
podman import -q \
    --change 'ENTRYPOINT ["/usr/bin/tini", "--"]' \
    --change 'CMD ["lattice-host", "start"]' \
    --change 'ENV PATH=/opt/lattice/bin:/usr/sbin:/usr/bin:/bin' \
    --change 'ENV LATTICE_CACHE_DIR=/tmp/latticecache' \
    "$root.tar" "$image" >/dev/null
echo "build-test-image: $image ($(du -sh "$root.tar" | cut -f1) from $bin)"
