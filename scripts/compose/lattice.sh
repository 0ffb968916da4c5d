# The compose lattice that the scenarios (run-scenarios.sh) and the chaos run (chaos.sh) work on: bringing it up
# from docker-compose.yml with podman-compose, the operator's CLI on its network, event and log helpers, and the
# teardown that removes everything it started. Sourced, not run; the caller is in the repository's root, has
# `set -euo pipefail`, and sets `prefix` (what its lines start with) before sourcing.
#
# The NATS nodes run deploy/nats/nats-server.conf with passwords made afresh for each bring-up; they reach the
# containers through the environment (`-e NAME` copies a variable from ours), never through a command line.
export CONTAINERS_CONF=${CONTAINERS_CONF:-$PWD/scripts/compose/containers.conf}
export LATTICE_IMAGE=${LATTICE_IMAGE:-localhost/lattice-host:test}
export LATTICE_REGISTRY_IMAGE=${LATTICE_REGISTRY_IMAGE:-localhost/lattice-registry:test}
export LATTICE_HEARTBEAT_INTERVAL=2s
heartbeat_seconds=2
reconnect_wait_seconds=2 # the clients' longest wait between reconnect attempts (NATSConnectionOptions)
project=${LATTICE_COMPOSE_PROJECT:-lattice-ci}
network=${project}_default
nats_urls=nats://nats-1:4222,nats://nats-2:4222,nats://nats-3:4222
# Fixed addresses and /etc/hosts entries instead of the network's DNS (scripts/compose/fixed-addresses.yml says why).
export LATTICE_COMPOSE_SUBNET=${LATTICE_COMPOSE_SUBNET:-10.89.231}
compose=(podman-compose -p "$project" -f docker-compose.yml -f scripts/compose/keep-host-c.yml
    -f scripts/compose/fixed-addresses.yml)
# The same names for the containers started here with `podman run`: lattice_up reads them from the running services.
peer_hosts=()
# The registry as the hosts and the operator reach it on the compose network, and what the demo pushes there.
registry=registry:5000
hello_ref=$registry/lattice-demo/hello:0.1.0
httpserver_ref=$registry/lattice-demo/httpserver:0.1.0
operator=${project}-operator
watcher=${project}-watch
rogue=${project}-rogue
started=$(date +%s)

say() { echo "$prefix: $*"; }
now_ms() { date +%s%3N; }
container() { echo "${project}_$1_1"; }

# fd 4 is the caller's stderr, so that a failure inside a condition whose output is silenced still shows.
exec 4>&2
fail() {
    echo "$prefix: FAILED: $*" >&4
    exit 1
}

dump_logs() {
    for name in $(podman ps -a --format '{{.Names}}' | grep "^${project}"); do
        echo "----- $name (last 40 lines)"
        podman logs --tail 40 "$name" 2>&1 || true
    done
}

# Removes the project, its extra containers and its network; dumps the logs first when the caller failed (to fd 4:
# a failure inside a condition whose output wait_until silences must still show them).
lattice_down() {
    local status=$1
    if ((status != 0)); then dump_logs >&4 2>&4; fi
    podman rm -f -t 0 "$operator" "$watcher" "$rogue" >/dev/null 2>&1 || true
    LATTICE_CLUSTER_SEED=${LATTICE_CLUSTER_SEED:-none} "${compose[@]}" down -t 2 >/dev/null 2>&1 || true
    for name in $(podman ps -a --format '{{.Names}}' | grep "^${project}" || true); do
        podman rm -f -t 0 "$name" >/dev/null 2>&1 || true
    done
    podman network rm -f "$network" >/dev/null 2>&1 || true
    say "torn down (project, containers and network $network) after $(($(date +%s) - started)) s"
}

# Polls a command until it succeeds or the deadline (seconds) passes.
wait_until() {
    local description=$1 seconds=$2
    shift 2
    local deadline=$(($(now_ms) + seconds * 1000))
    until "$@" >/dev/null 2>&1; do
        (($(now_ms) < deadline)) || fail "$description (not within ${seconds} s)"
        sleep 0.2
    done
}

# The operator's CLI, run from a container on the compose network (started with the operator's login).
op() { podman exec -e LATTICE_NATS_URL="$nats_urls" "$operator" lattice "$@"; }
# Starts a container on the compose network logged in as the operator.
run_as_operator() {
    LATTICE_NATS_USER=operator LATTICE_NATS_PASSWORD=$LATTICE_OPERATOR_PASSWORD \
        podman run -d --network "$network" "${peer_hosts[@]}" -e LATTICE_NATS_USER -e LATTICE_NATS_PASSWORD "$@" >/dev/null
}
# The same, with the cluster seed in its environment (for `lattice call`; never on a command line).
op_with_seed() { podman exec -e LATTICE_NATS_URL="$nats_urls" -e LATTICE_CLUSTER_SEED "$operator" lattice "$@"; }
# The key after "actor " or "provider " in what `lattice actor sign` or `lattice par create` prints.
key_after() { sed -n "s/.* $1 \\([MV][A-Z0-9]\\{55\\}\\).*/\\1/p"; }
host_id() { op get hosts --label "host=$1" --ids --window 500ms; }
host_absent() { [[ -z "$(host_id "$1")" ]]; }
host_present() { [[ -n "$(host_id "$1")" ]]; }
host_count() { op get hosts --ids --window 1s | grep -c '^N' || true; }
events() { podman logs "$watcher" 2>/dev/null; }

# Prints the events of one type from one source whose data contains every given "key": value fragment.
find_event() {
    local type=$1 source=$2
    shift 2
    events | python3 -c '
import json, sys
wanted_type, source, fragments = sys.argv[1], sys.argv[2], sys.argv[3:]
for line in sys.stdin:
    try:
        event = json.loads(line)
    except ValueError:
        continue
    data = event.get("data", {})
    if event.get("type") == "com.wasmcloud.lattice." + wanted_type and (source == "*" or event.get("source") == source) \
            and all(data.get(k) == json.loads(v) for k, v in (f.split("=", 1) for f in fragments)):
        print(line.strip())
        sys.exit(0)
sys.exit(1)
' "$type" "$source" "$@"
}

http_get() { curl -s -m 5 "$@"; }
http_ok() { [[ "$(http_get "http://127.0.0.1:$port/$1")" == "Hello from /$1" ]]; }
ip_of() { podman inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$1"; }
# The pid of the container's lattice-host process (none when it has exited).
host_pid() { podman exec "$1" ps -o pid,args | awk '$2 == "lattice-host" || $2 ~ /\/lattice-host$/ { print $1 }'; }
# "PID ARGS" of every provider in the container, whether or not its host still runs: the executables a host
# runs live in its cache (/tmp/latticecache), whoever their parent is now.
provider_processes() { podman exec "$1" ps -o pid,args | awk '$2 ~ "^/tmp/latticecache/"' || true; }
# "PID PPID ARGS" of every such process whose parent is not a running lattice-host: providers left without their host.
orphaned_providers() {
    podman exec "$1" ps -o pid,ppid,args | awk '
        $3 == "lattice-host" || $3 ~ /\/lattice-host$/ { hosts[$1] = 1 }
        $3 ~ "^/tmp/latticecache/" { providers[$1] = $0; parents[$1] = $2 }
        END { for (pid in providers) if (!(parents[pid] in hosts)) print providers[pid] }'
}

# The demo's keys (HELLO_ACTOR=…, HTTPSERVER_PROVIDER=…), from the lines the demo service prints.
demo_keys() { podman logs "$(container demo)" 2>/dev/null | grep -E '^[A-Z_]+=[A-Z0-9]{56}$' || true; }

# Brings the project up (3 NATS nodes, the registry, host-a, host-b, host-c and the demo) with fresh passwords
# and a fresh cluster seed, starts the operator's and the event watcher's containers, and waits until the demo's
# HTTP path works. Sets port, HOST_A, HOST_B, HOST_C and the demo's keys.
lattice_up() {
    say "bringing up $project: 3 NATS nodes, the registry, host-a, host-b, host-c and the demo"
    podman rm -f -t 0 "$operator" "$watcher" "$rogue" >/dev/null 2>&1 || true
    LATTICE_CLUSTER_SEED=none "${compose[@]}" down -t 0 >/dev/null 2>&1 || true
    podman network rm -f "$network" >/dev/null 2>&1 || true
    # The fixed addresses need their /24 free of every other podman network (scripts/compose/fixed-addresses.yml).
    local taken name subnet
    taken=$(for name in $(podman network ls --format '{{.Name}}'); do
        for subnet in $(podman network inspect "$name" --format '{{range .Subnets}}{{.Subnet}} {{end}}'); do
            echo "$name $subnet"
        done
    done | python3 -c '
import ipaddress, sys
wanted = ipaddress.ip_network(sys.argv[1] + ".0/24")
for line in sys.stdin:
    if len(line.split()) == 2 and ipaddress.ip_network(line.split()[1], strict=False).overlaps(wanted):
        print(line.strip())' "$LATTICE_COMPOSE_SUBNET")
    [[ -z $taken ]] ||
        fail "$LATTICE_COMPOSE_SUBNET.0/24 overlaps podman network $taken; set LATTICE_COMPOSE_SUBNET to a free /24's first three octets"
    # The NATS users' passwords: letters and digits, starting with a letter (nats-server parses them).
    local role
    for role in OPERATOR HOST PROVIDER ROUTE; do
        export "LATTICE_${role}_PASSWORD=p$(python3 -c 'import secrets; print(secrets.token_hex(24))')"
    done
    LATTICE_CLUSTER_SEED=$(podman run --rm "$LATTICE_IMAGE" lattice keys gen cluster | sed -n 's/^Seed: //p')
    [[ $LATTICE_CLUSTER_SEED == SC* ]] || fail "lattice keys gen cluster printed no seed"
    export LATTICE_CLUSTER_SEED
    free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
    port=$(free_port)
    export LATTICE_DEMO_PORT=$port
    LATTICE_REGISTRY_PORT=$(free_port)
    export LATTICE_REGISTRY_PORT
    "${compose[@]}" up -d --no-build >/dev/null
    local peer
    for peer in registry nats-1 nats-2 nats-3; do peer_hosts+=(--add-host "$peer:$(ip_of "$(container "$peer")")"); done
    run_as_operator --name "$operator" --entrypoint /bin/sleep "$LATTICE_IMAGE" 3600
    run_as_operator --name "$watcher" -e LATTICE_NATS_URL="$nats_urls" "$LATTICE_IMAGE" lattice watch --json

    local name
    for name in a b c; do wait_until "host-$name answers a ping" 60 host_present "$name"; done
    HOST_A=$(host_id a)
    HOST_B=$(host_id b)
    HOST_C=$(host_id c)
    # The demo signs, packs and pushes its artifacts, then the hosts pull them: give it time, but stop at once if
    # it failed.
    demo_exited() {
        local state
        state=$(podman inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$(container demo)")
        [[ $state == "exited 0" ]] && return 0
        [[ $state == exited* ]] && fail "the demo service failed ($state): $(podman logs --tail 5 "$(container demo)" 2>&1)"
        return 1
    }
    wait_until "the demo service finishes with status 0" 120 demo_exited
    source <(demo_keys)
    [[ -n ${HELLO_ACTOR:-} && -n ${HTTPSERVER_PROVIDER:-} ]] || fail "the demo printed no keys: $(demo_keys)"
    # A provider enters the inventory once it is ready (subscribed and answering its health check), which may be
    # a moment after the demo's start command was acknowledged.
    provider_on_host_a() { op get inventory "$HOST_A" | grep -q "\"$HTTPSERVER_PROVIDER\""; }
    wait_until "the httpserver provider is ready on host-a" 30 provider_on_host_a
    wait_until "HTTP on host-a's published port reaches hello on host-b" 30 http_ok lattice-up
}
