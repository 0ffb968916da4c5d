#!/usr/bin/env bash
# Installs what building and testing need on a fresh Debian machine, skipping what is present.
#   scripts/install-deps.sh            the build and the Swift tests
#   scripts/install-deps.sh --compose  also what the compose tests run (podman and its network stack)
#   scripts/install-deps.sh --list [--compose]   prints the package lists and installs nothing
#
# Every program that a script or test runs comes from a package named here or from Debian's essential
# base system (coreutils, tar, gzip, util-linux, libc-bin, grep, sed, mawk, bash). The README's list is
# checked against --list by scripts/check-readme-deps.sh.
set -euo pipefail

# The build (pkg-config, libnats, libsodium, libssl-dev for libcrypto's SHA-256, zlib), the tests' servers and tools (nats-server; curl and
# openssl for the TLS and HTTP tests; python3 for the interop scripts; docker-registry for the OCI tests, with
# apache2-utils for the bcrypt htpasswd file of its basic-auth test) and the HTTP benchmark (wrk).
apt_packages=(libnats-dev libsodium-dev libssl-dev nats-server pkg-config zlib1g-dev wrk curl openssl python3 docker-registry
    apache2-utils)
# PyPI, as import-name:package: the independent implementations the interop tests compare against.
pip_modules=(nkeys:nkeys nacl:pynacl msgpack:msgpack)
# The compose tests: podman with runc; netavark and aardvark-dns give the compose network and its DNS, and
# netavark runs iptables (a mere recommends of Debian's podman, so --no-install-recommends leaves it out);
# tini and busybox-static are the test image's init and shell.
compose_apt_packages=(podman runc netavark aardvark-dns iptables tini busybox-static)
compose_pip_packages=(podman-compose)

compose=false list=false
for argument in "$@"; do
    case "$argument" in
        --compose) compose=true ;;
        --list) list=true ;;
        *) echo "install-deps: unknown option '$argument' (use --compose and/or --list)" >&2; exit 2 ;;
    esac
done
if $compose; then apt_packages+=("${compose_apt_packages[@]}"); fi
if $list; then
    echo "apt: ${apt_packages[*]}"
    pip_list=("${pip_modules[@]##*:}")
    if $compose; then pip_list+=("${compose_pip_packages[@]}"); fi
    echo "pypi: ${pip_list[*]}"
    exit 0
fi

as_root() {
    if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

# One line per step on the terminal; apt's and pip's own output goes to this log, shown (its end) on failure.
log=${INSTALL_DEPS_LOG:-$(cd "$(dirname "$0")/.." && pwd)/.build/install-deps.log}
step() {
    local what=$1
    shift
    mkdir -p "$(dirname "$log")"
    echo "install-deps: $what (log: $log)"
    {
        echo "== $(date '+%F %T') $what"
        echo "== $*"
    } >>"$log"
    if ! "$@" >>"$log" 2>&1 </dev/null; then
        echo "install-deps: failed: $what; the end of $log:" >&2
        tail -n 20 "$log" >&2
        exit 1
    fi
}

# apt-get update, then the install: one step, one line.
apt_install() {
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q &&
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"
}

missing=()
for package in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
python=${PYTHON:-python3}
if ! command -v "$python" >/dev/null || ! "$python" -m pip --version >/dev/null 2>&1; then
    # Debian's own python3 comes without pip; a toolchain image may bring its own python3 with pip.
    dpkg-query -W -f='${Status}' python3-pip 2>/dev/null | grep -q "install ok installed" || missing+=(python3-pip)
fi
if ((${#missing[@]})); then
    step "installing apt packages: ${missing[*]}" apt_install "${missing[@]}"
fi

pip_missing=()
for entry in "${pip_modules[@]}"; do
    "$python" -c "import ${entry%%:*}" 2>/dev/null || pip_missing+=("${entry##*:}")
done
if $compose && ! command -v podman-compose >/dev/null; then
    pip_missing+=("${compose_pip_packages[@]}")
fi
if ((${#pip_missing[@]})); then
    # Debian's pip refuses to touch its system python (PEP 668) unless told; a toolchain's python takes it as is.
    extra=()
    if "$python" -m pip install --help 2>/dev/null | grep -q -- --break-system-packages; then
        extra=(--break-system-packages)
    fi
    step "installing PyPI packages: ${pip_missing[*]}" \
        "$python" -m pip install --disable-pip-version-check "${extra[@]}" "${pip_missing[@]}"
fi

pkg-config --exists libnats libsodium || { echo "install-deps: pkg-config cannot find libnats/libsodium" >&2; exit 1; }
[[ -x /usr/sbin/nats-server ]] || command -v nats-server >/dev/null || { echo "install-deps: nats-server missing" >&2; exit 1; }
