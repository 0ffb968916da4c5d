#!/usr/bin/env bash
# Checks, before the compose stage builds anything, that podman can create a network and run a container on
# it. On failure it prints one line naming the missing piece and the package that provides it, instead of the
# bare error of whichever tool hit it first (netavark without iptables says only "No such file or directory").
# It installs nothing: scripts/install-deps.sh --compose does that.
#   scripts/compose/preflight.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
export CONTAINERS_CONF=${CONTAINERS_CONF:-$PWD/scripts/compose/containers.conf}
# Root's tools (iptables) live in sbin, which a non-login PATH may lack.
export PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin

missing() {
    echo "compose preflight: $1 is missing (install Debian's package '$2', or run scripts/install-deps.sh --compose)" >&2
    exit 1
}

# The pieces the compose stage runs, each with where it is looked for and the package that brings it.
command -v podman >/dev/null || missing "podman" podman
command -v runc >/dev/null || missing "runc (podman's OCI runtime, set in scripts/compose/containers.conf)" runc
[[ -x /usr/lib/podman/netavark ]] || missing "netavark (/usr/lib/podman/netavark, podman's network backend)" netavark
[[ -x /usr/lib/podman/aardvark-dns ]] ||
    missing "aardvark-dns (/usr/lib/podman/aardvark-dns, service names on a compose network)" aardvark-dns
command -v iptables >/dev/null || missing "iptables (netavark runs it to set up every container network)" iptables
[[ -x /usr/bin/tini-static ]] || missing "tini-static (the test image's init)" tini
[[ -x /bin/busybox ]] || missing "busybox (the test image's shell and tools)" busybox-static
[[ -x /usr/bin/docker-registry ]] || missing "docker-registry (the test registry image's server)" docker-registry
command -v podman-compose >/dev/null ||
    { echo "compose preflight: podman-compose is missing (PyPI package 'podman-compose', or run scripts/install-deps.sh --compose)" >&2; exit 1; }

# The real thing: a one-file image, a network, and a container on it that resolves its own name.
name=lattice-preflight-$$
image=localhost/$name:latest
root=$(mktemp -d "${TMPDIR:-/tmp}/$name.XXXXXX")
cleanup() {
    podman rm -f -t 0 "$name" >/dev/null 2>&1 || true
    podman network rm -f "$name" >/dev/null 2>&1 || true
    podman rmi -f "$image" >/dev/null 2>&1 || true
    rm -rf "$root" "$root.tar"
}
trap cleanup EXIT
mkdir -p "$root/bin"
cp /bin/busybox "$root/bin/busybox"
tar -C "$root" -cf "$root.tar" .
step() {
    local what=$1
    shift
    local output
    if ! output=$("$@" 2>&1); then
        echo "compose preflight: podman cannot $what: $(echo "$output" | grep -v '^\s*$' | tail -n 1)" >&2
        exit 1
    fi
}
step "import an image" podman import -q "$root.tar" "$image"
step "create a network" podman network create "$name"
step "run a container on a network" \
    podman run --rm --name "$name" --network "$name" "$image" /bin/busybox nslookup "$name"
echo "compose preflight: podman creates networks and runs containers on them"
