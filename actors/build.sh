#!/usr/bin/env bash
# Rebuilds the example actors with the toolchain's clang (wasm32, no libc). Signing happens separately:
# `lattice actor sign actors/NAME.wasm …` (see the README); the tests sign them with fresh keys.
set -euo pipefail
cd "$(dirname "$0")"
clang=${CLANG:-$(dirname "$(command -v swift)")/clang}
for actor in hello echo counter; do
    "$clang" --target=wasm32 -nostdlib -O2 -fno-builtin -Wl,--no-entry -Wl,--export-dynamic \
        -Wl,--allow-undefined -Wl,--initial-memory=131072 -o "$actor.wasm" "$actor.c"
    echo "built actors/$actor.wasm ($(wc -c < "$actor.wasm") bytes)"
done
