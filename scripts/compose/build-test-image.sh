#!/usr/bin/env bash
# Assembles the compose tests' two images without a registry or base image, each imported with `podman import`:
# - LATTICE_IMAGE (hosts, NATS nodes, demo): the built binaries, every shared library ldd names for them,
#   nats-server and its configuration (deploy/nats), tini and busybox, the unsigned example actors and the demo
#   script. No signed artifact: the demo signs and pushes its own to the registry. Users build the same layout
#   from the Dockerfile instead.
# - LATTICE_REGISTRY_IMAGE (the `registry` service): Debian's docker-registry with a registry:2-like
#   configuration (scripts/compose/registry-config.yml). Users get Docker's registry:2 instead.
#   scripts/compose/build-test-image.sh [BIN_DIR]     (default .build/debug)
set -euo pipefail
cd "$(dirname "$0")/../.."
export CONTAINERS_CONF=${CONTAINERS_CONF:-$PWD/scripts/compose/containers.conf}
image=${LATTICE_IMAGE:-localhost/lattice-host:test}
registry_image=${LATTICE_REGISTRY_IMAGE:-localhost/lattice-registry:test}
registry=/usr/bin/docker-registry
[[ -x $registry ]] || { echo "build-test-image: $registry is missing; install Debian's docker-registry" >&2; exit 1; }
bin=${1:-.build/debug}
products=(lattice-host lattice httpserver-provider keyvalue-provider test-provider)
for product in "${products[@]}"; do
    [[ -x "$bin/$product" ]] || { echo "build-test-image: $bin/$product is missing; run swift build first" >&2; exit 1; }
done

root=$(mktemp -d "${TMPDIR:-/tmp}/lattice-rootfs.XXXXXX")
registry_root=$(mktemp -d "${TMPDIR:-/tmp}/lattice-registry-rootfs.XXXXXX")
trap 'rm -rf "$root" "$root.tar" "$registry_root" "$registry_root.tar"' EXIT
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

# Copies every library the given executables load into a root, at the path the loader looks for it (the Swift
# runtime included); static executables (busybox-static) need none.
copy_libraries() {
    local into=$1
    shift
    local executable
    for executable in "$@"; do
        { ldd "$executable" 2>/dev/null || true; } | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'
    done | sort -u | while read -r library; do
        cp -L --parents "$library" "$into"
    done
}
# Tars a root and imports it as an image, replacing any older one of that name.
import_image() {
    local from=$1 name=$2
    shift 2
    printf 'root:x:0:0:root:/root:/bin/sh\n' >"$from/etc/passwd"
    printf 'root:x:0:\n' >"$from/etc/group"
    tar -C "$from" -cf "$from.tar" .
    podman rmi -f "$name" >/dev/null 2>&1 || true
    podman import -q "$@" "$from.tar" "$name" >/dev/null
    echo "build-test-image: $name ($(du -sh "$from.tar" | cut -f1))"
}

copy_libraries "$root" "${executables[@]}"
cp actors/*.wasm "$root/opt/lattice/actors/"
cp deploy/nats/* "$root/opt/lattice/nats/"
install -m 0755 deploy/lattice-demo "$root/opt/lattice/bin/lattice-demo"
import_image "$root" "$image" \
    --change 'ENTRYPOINT ["/usr/bin/tini", "--"]' \
    --change 'CMD ["lattice-host", "start"]' \
    --change 'ENV PATH=/opt/lattice/bin:/usr/sbin:/usr/bin:/bin' \
    --change 'ENV LATTICE_CACHE_DIR=/tmp/latticecache'

# The registry: its binary needs only libc; /var/lib/registry holds what is pushed.
mkdir -p "$registry_root"/{usr/bin,etc/docker/registry,var/lib/registry,bin,tmp}
chmod 1777 "$registry_root/tmp"
cp "$registry" "$registry_root/usr/bin/docker-registry"
cp /usr/bin/tini-static "$registry_root/usr/bin/tini"
cp scripts/compose/registry-config.yml "$registry_root/etc/docker/registry/config.yml"
copy_libraries "$registry_root" "$registry"
import_image "$registry_root" "$registry_image" \
    --change 'ENTRYPOINT ["/usr/bin/tini", "--"]' \
    --change 'CMD ["/usr/bin/docker-registry", "serve", "/etc/docker/registry/config.yml"]' \
    --change 'EXPOSE 5000'
echo "build-test-image: from $bin"
