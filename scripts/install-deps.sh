#!/usr/bin/env bash
# Installs what building and testing need on a fresh Debian machine, skipping what is present.
#   scripts/install-deps.sh            apt: libnats-dev libsodium-dev nats-server wrk; PyPI: nkeys pynacl msgpack
#   scripts/install-deps.sh --compose  also podman, runc, netavark and aardvark-dns (service names resolve on a
#                                      compose network), tini and busybox-static (the test image's init and
#                                      shell), and podman-compose from PyPI, for the compose tests
set -euo pipefail

apt_packages=(libnats-dev libsodium-dev nats-server pkg-config zlib1g-dev wrk)
pip_modules=(nkeys:nkeys nacl:pynacl msgpack:msgpack)
if [[ "${1:-}" == "--compose" ]]; then
    apt_packages+=(podman runc netavark aardvark-dns tini busybox-static)
fi

as_root() {
    if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

missing=()
for package in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
    echo "install-deps: installing apt packages: ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq </dev/null
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
fi

python=${PYTHON:-python3}
pip_missing=()
for entry in "${pip_modules[@]}"; do
    "$python" -c "import ${entry%%:*}" 2>/dev/null || pip_missing+=("${entry##*:}")
done
if [[ "${1:-}" == "--compose" ]] && ! command -v podman-compose >/dev/null; then
    pip_missing+=(podman-compose)
fi
if ((${#pip_missing[@]})); then
    echo "install-deps: installing PyPI packages: ${pip_missing[*]}"
    "$python" -m pip install --quiet --disable-pip-version-check "${pip_missing[@]}" </dev/null
fi

pkg-config --exists libnats libsodium || { echo "install-deps: pkg-config cannot find libnats/libsodium" >&2; exit 1; }
[[ -x /usr/sbin/nats-server ]] || command -v nats-server >/dev/null || { echo "install-deps: nats-server missing" >&2; exit 1; }
