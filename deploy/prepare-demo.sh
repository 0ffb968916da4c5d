#!/bin/sh
# Signs the example actors and packs the example providers into signed archives for an image, and records
# their public keys in keys.env, which lattice-demo and the compose tests read.
#   deploy/prepare-demo.sh BIN_DIR ACTORS_DIR OUT_DIR
# BIN_DIR holds the built `lattice` and provider executables; the keys are generated afresh on every run.
set -eu
bin=$1
actors=$2
out=$3
mkdir -p "$out"

# The key is the word after "actor " or "provider " in what `lattice` prints.
key_after() { sed -n "s/.* $1 \\([MV][A-Z0-9]\\{55\\}\\).*/\\1/p"; }

hello=$("$bin/lattice" actor sign "$actors/hello.wasm" --name hello --caps wasmcloud:httpserver \
    --output "$out/hello_s.wasm" | key_after actor)
echo=$("$bin/lattice" actor sign "$actors/echo.wasm" --name echo --output "$out/echo_s.wasm" | key_after actor)
httpserver=$("$bin/lattice" par create "$bin/httpserver-provider" --contract wasmcloud:httpserver \
    --name httpserver --compress --output "$out/httpserver.par.gz" | key_after provider)
keyvalue=$("$bin/lattice" par create "$bin/keyvalue-provider" --contract wasmcloud:keyvalue \
    --name keyvalue --compress --output "$out/keyvalue.par.gz" | key_after provider)

for value in "$hello" "$echo" "$httpserver" "$keyvalue"; do
    [ -n "$value" ] || { echo "prepare-demo: a signing step printed no key" >&2; exit 1; }
done
cat >"$out/keys.env" <<KEYS
HELLO_ACTOR=$hello
ECHO_ACTOR=$echo
HTTPSERVER_PROVIDER=$httpserver
KEYVALUE_PROVIDER=$keyvalue
KEYS
echo "prepare-demo: signed actors and provider archives in $out"
