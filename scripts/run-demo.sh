#!/usr/bin/env bash
# `make run`: a host on an embedded nats-server, the hello actor, and the httpserver provider linked
# on DEMO_PORT (default 8080). Prints what to curl; Ctrl-C stops the host (and with it everything).
set -euo pipefail
cd "$(dirname "$0")/.."
port=${DEMO_PORT:-8080}
demo=.build/demo
mkdir -p "$demo"
# The build shows its progress: a first build takes minutes, and a silent one looks hung.
for product in lattice-host lattice httpserver-provider; do
    echo "run-demo: building $product (swift build --product $product)"
    swift build --product "$product"
done
bin=.build/debug
json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

# The seed goes in a 0600 file, never on argv (where `ps` would show it to every local user).
(umask 077 && "$bin/lattice" keys gen server --json | json '["seed"]' > "$demo/host.seed")
chmod 600 "$demo/host.seed"
actor=$("$bin/lattice" actor sign actors/hello.wasm --name hello --caps wasmcloud:httpserver --output "$demo/hello_s.wasm")
actor_key=$(echo "$actor" | sed -n 's/.*actor \(M[A-Z0-9]*\),.*/\1/p')

# --allow-file-load: the demo starts its actor and provider from local files (DESIGN §11).
"$bin/lattice-host" start --host-seed-file "$demo/host.seed" --allow-file-load --label demo=hello > "$demo/host.log" 2>&1 &
host_pid=$!
trap 'kill -TERM $host_pid 2>/dev/null; wait $host_pid 2>/dev/null; exit 0' INT TERM
for _ in $(seq 1 200); do
    grep -q "embedded NATS at" "$demo/host.log" && break
    kill -0 $host_pid 2>/dev/null || { cat "$demo/host.log"; exit 1; }
    sleep 0.05
done
url=$(sed -n 's/.*embedded NATS at \(nats:[^ ]*\).*/\1/p' "$demo/host.log" | head -1)
host_id=$(sed -n 's/.*host \(N[A-Z0-9]\{55\}\) (.*joined lattice.*/\1/p' "$demo/host.log" | head -1)
export LATTICE_NATS_URL=$url

"$bin/lattice" start actor "$host_id" "$demo/hello_s.wasm"
"$bin/lattice" start provider "$host_id" "$bin/httpserver-provider" --contract wasmcloud:httpserver
# The provider enters the inventory once it is ready (subscribed and answering its health check): wait for it.
provider_key=""
for _ in $(seq 1 200); do
    provider_key=$("$bin/lattice" get inventory "$host_id" |
        python3 -c 'import json, sys; print(next((p["id"] for p in json.load(sys.stdin)["providers"]), ""))' || true)
    [[ -n $provider_key ]] && break
    sleep 0.05
done
[[ -n $provider_key ]] || { echo "run-demo: the httpserver provider did not become ready; see $demo/host.log" >&2; exit 1; }
"$bin/lattice" link put "$actor_key" "$provider_key" wasmcloud:httpserver "PORT=$port"
for _ in $(seq 1 100); do
    (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break
    sleep 0.05
done

cat <<MSG

  lattice host $host_id is running on $url
  hello actor $actor_key, linked to the httpserver provider on port $port

  try:   curl http://127.0.0.1:$port/some/path
  and:   LATTICE_NATS_URL=$url $bin/lattice get hosts
         LATTICE_NATS_URL=$url $bin/lattice watch

  Ctrl-C stops the host, its provider and its embedded NATS. Host log: $demo/host.log
MSG
wait $host_pid
