#!/usr/bin/env bash
# The multi-host scenarios, run on docker-compose.yml itself with podman-compose (../shared/CONTAINERS.md).
#
#   scripts/compose/run-scenarios.sh        (after scripts/compose/build-test-image.sh)
#
# Every scenario asserts; the first failed assertion prints the containers' logs and exits 1. The compose
# project, its network and the extra containers are removed on every exit, pass or fail. The NATS nodes run
# deploy/nats/nats-server.conf with passwords made afresh for this run; they reach the containers through the
# environment (`-e NAME` copies a variable from ours), never through a command line.
set -euo pipefail
cd "$(dirname "$0")/../.."
prefix=compose
source scripts/compose/lattice.sh
trap 'status=$?; lattice_down "$status"; exit "$status"' EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------------------------------------------
lattice_up

# 1. The lattice forms. ------------------------------------------------------------------------------------
count=$(host_count)
((count == 3)) || fail "get hosts lists $count hosts, not 3"
say "1. the lattice formed: host-a ${HOST_A:0:8}…, host-b ${HOST_B:0:8}…, host-c ${HOST_C:0:8}… ($count hosts)"

# 2. Cross-host invocation. --------------------------------------------------------------------------------
op get inventory "$HOST_B" | grep -q "\"$HELLO_ACTOR\"" || fail "hello is not running on host-b"
for other in "$HOST_A" "$HOST_C"; do
    ! op get inventory "$other" | grep -q "\"$HELLO_ACTOR\"" || fail "hello runs on $other too"
done
http_ok cross-host || fail "GET /cross-host on host-a's published port was not answered by hello"
say "2. GET /cross-host on host-a's provider answered by hello on host-b: $(http_get "http://127.0.0.1:$port/cross-host")"
say "   both started by reference from the registry: $(podman logs "$(container demo)" | grep '^lattice-demo: hello')"

# 10. Start by reference on a host that never had the file. ------------------------------------------------
# The operator signs echo with a fresh key (so no image and no host can have had this module) and pushes it; host-c
# pulls it from the registry. File loads are off on every host: the same module given as a path is refused.
ECHO_ACTOR=$(op actor sign /opt/lattice/actors/echo.wasm --name echo --output /tmp/echo.wasm | key_after actor)
[[ -n $ECHO_ACTOR ]] || fail "lattice actor sign printed no key for echo"
echo_ref=$registry/lattice-ci/echo:0.1.0
op push "$echo_ref" /tmp/echo.wasm --insecure >/dev/null
if refused=$(op start actor "$HOST_C" /opt/lattice/actors/echo.wasm 2>&1); then
    fail "host-c started an actor from a file of its own: $refused"
fi
grep -q "allow-file-load" <<<"$refused" || fail "starting echo from a path was not refused for file loads: $refused"
pull_started=$(now_ms)
op start actor "$HOST_C" "$echo_ref" >/dev/null
echo_on_host_c() { op get inventory "$HOST_C" | grep -q "\"$ECHO_ACTOR\""; }
wait_until "echo, started by reference, runs on host-c" 30 echo_on_host_c
echo_ms=$(($(now_ms) - pull_started))
for other in "$HOST_A" "$HOST_B"; do
    ! op get inventory "$other" | grep -q "\"$ECHO_ACTOR\"" || fail "echo runs on $other too"
done
reply=$(op_with_seed call "$ECHO_ACTOR" Echo "echo by reference")
[[ $reply == "echo by reference" ]] || fail "echo on host-c answered '$reply', not 'echo by reference'"
say "10. echo ($ECHO_ACTOR) started on host-c by reference ($echo_ref) in ${echo_ms} ms, and answered: $reply;"
say "    the same module as a path: $(tail -n 1 <<<"$refused")"

# 8. Least privilege. --------------------------------------------------------------------------------------
# From this machine to a NATS node's container address, with the raw-protocol probe: first the whole
# permission table of deploy/nats (refusals and allowed subscriptions; allowed publishes would reach the
# running lattice), then the three refusals that matter most, each with the server's own words.
nats_ip=$(ip_of "$(container nats-1)")
table=$(python3 scripts/compose/check-nats-permissions.py "$nats_ip:4222" --live) ||
    fail "the NATS permission table of deploy/nats does not hold: $(echo "$table" | grep -v ' ok ' || true)"
# Runs one probe that must meet every expectation and prints the server's answers, one per line.
refusals() {
    local output
    output=$(python3 scripts/compose/nats_probe.py "$nats_ip:4222" "$@") || fail "NATS probe: $output"
    echo "$output" | sed 's/^[^:]*: //'
}
as_provider=(--user provider --password-env LATTICE_PROVIDER_PASSWORD)
commands=$(refusals "${as_provider[@]}" "deny:pub:wasmbus.ctl.default.cmd.$HOST_B.stop" \
    "deny:pub:wasmbus.ctl.default.cmd.$HOST_B.lp")
forged_event=$(refusals "${as_provider[@]}" deny:pub:wasmbus.evt.default)
anonymous=$(refusals deny:connect)
host_present b || fail "host-b is gone after a provider's login tried to stop it"
wait_until "HTTP on host-a still reaches hello on host-b" 10 http_ok least-privilege
count=$(host_count)
((count == 3)) || fail "after the refused attempts, get hosts lists $count hosts, not 3"
say "8. least privilege: $(echo "$table" | tail -n 1 | sed 's/^check-nats-permissions: //') on $nats_ip;"
say "   a provider's login stopping host-b: $(echo "$commands" | head -n 1)"
say "   a provider's login starting a provider there: $(echo "$commands" | tail -n 1)"
say "   a provider's login forging a host event: $forged_event"
say "   no login at all: $anonymous"
say "   and still: host-b present, GET /least-privilege answered by hello on host-b, $count hosts"

# 6. NATS node loss. ---------------------------------------------------------------------------------------
serving_node=""
for node in nats-1 nats-2 nats-3; do
    if podman exec "$(container "$node")" wget -qO- http://127.0.0.1:8222/connz | grep -q "lattice-host $HOST_B"; then
        serving_node=$node
    fi
done
[[ -n $serving_node ]] || fail "no NATS node reports host-b's connection"
killed_at=$(now_ms)
podman kill -s KILL "$(container "$serving_node")" >/dev/null
until http_ok after-node-loss; do
    (($(now_ms) - killed_at < 30000)) || fail "no successful invocation within 30 s of losing $serving_node"
    sleep 0.1
done
recovered_ms=$(($(now_ms) - killed_at))
((recovered_ms <= (reconnect_wait_seconds + 2) * 1000)) ||
    fail "invocations came back after ${recovered_ms} ms, more than the reconnect wait + 2 s"
# The link bucket has 3 replicas: after a short leader election it answers again from the two nodes left.
links_listed() { op get links | grep -q "$HELLO_ACTOR"; }
wait_until "the link store (3 replicas) lists the link with one node down" 20 links_listed
links_ms=$(($(now_ms) - killed_at))
count=$(host_count)
((count == 3)) || fail "after losing $serving_node, get hosts lists $count hosts"
say "6. killed $serving_node (host-b's node): invocations succeeded again after ${recovered_ms} ms;" \
    "the link store answered again after ${links_ms} ms"
podman start "$(container "$serving_node")" >/dev/null

# 7. Partition. --------------------------------------------------------------------------------------------
podman network disconnect "$network" "$(container host-c)"
cut_at=$(now_ms)
wait_until "host-c drops out of get hosts after it is cut off" $((2 * heartbeat_seconds + 2)) host_absent c
dropped_ms=$(($(now_ms) - cut_at))
host_present a && host_present b || fail "host-a or host-b vanished during host-c's partition"
podman network connect "$network" "$(container host-c)"
joined_at=$(now_ms)
wait_until "host-c comes back after its network is reconnected" 60 host_present c
back_ms=$(($(now_ms) - joined_at))
say "7. host-c cut off: gone from get hosts after ${dropped_ms} ms (bound $((2 * heartbeat_seconds)) s + 1 s gather);" \
    "back ${back_ms} ms after reconnect"

# 5. Orphan across containers. -----------------------------------------------------------------------------
# A host with its own ad hoc keys (no cluster seed) and self-termination switched off for its providers. It
# has the hosts' and providers' NATS logins (what a stolen host login gives), not the cluster seed.
LATTICE_NATS_USER=host LATTICE_NATS_PASSWORD=$LATTICE_HOST_PASSWORD LATTICE_PROVIDER_NATS_USER=provider \
    LATTICE_PROVIDER_NATS_PASSWORD=$LATTICE_PROVIDER_PASSWORD \
    podman run -d --name "$rogue" --network "$network" "${peer_hosts[@]}" -e LATTICE_NATS_URL="$nats_urls" \
    -e LATTICE_NATS_USER -e LATTICE_NATS_PASSWORD -e LATTICE_PROVIDER_NATS_USER -e LATTICE_PROVIDER_NATS_PASSWORD \
    -e LATTICE_OCI_ALLOWED_INSECURE="$registry" -e LATTICE_HEARTBEAT_INTERVAL=2s -e LATTICE_PROVIDER_TEST_NO_SELF_TERMINATION=1 \
    "$LATTICE_IMAGE" sh -c 'lattice-host start --label host=rogue; exec sleep 3600' >/dev/null
wait_until "the rogue host answers a ping" 30 host_present rogue
ROGUE=$(host_id rogue)
op start provider "$ROGUE" "$httpserver_ref" --link default >/dev/null
rogue_ip=$(ip_of "$rogue")
rogue_listening() { curl -s -o /dev/null -m 2 "http://$rogue_ip:8080/"; }
wait_until "the rogue host's httpserver provider listens" 30 rogue_listening
rogue_host_pid=$(podman exec "$rogue" ps -o pid,args | awk '$2 == "lattice-host" { print $1 }')
[[ -n $rogue_host_pid ]] || fail "no lattice-host process in the rogue container"
podman exec "$rogue" kill -9 "$rogue_host_pid"
orphan=$(provider_processes "$rogue")
[[ -n $orphan ]] || fail "the rogue's provider did not survive its host (test switch on)"
flagged() {
    http_get "http://$rogue_ip:8080/orphan" | grep -q "Issuer of this invocation is not among the list of valid issuers" &&
        find_event invocation_rejected "$HOST_B" suspected_orphan=true "origin_host_id=\"$ROGUE\""
}
wait_until "host-b rejects the orphan's invocation and flags it as a suspected orphan" 30 flagged
say "5. orphaned provider (pid $(echo "$orphan" | awk '{ print $1 }') in the rogue container) rejected and flagged:" \
    "$(flagged | head -c 300)"
podman rm -f -t 0 "$rogue" >/dev/null

# 9. Provider restart. -------------------------------------------------------------------------------------
# host-a's httpserver provider is killed with SIGKILL while a client sends a request every 50 ms. Requests may
# fail only while it is down, and it serves again within the restart delay (1 s) + 2 s, from a new pid.
restart_bound_ms=3000
old_pid=$(provider_processes "$(container host-a)" | awk '{ print $1 }' | head -n 1)
[[ -n $old_pid ]] || fail "no provider process in host-a"
samples=$(mktemp)
python3 scripts/compose/http_load.py "$port" restart 0.05 8 >"$samples" &
client=$!
client_has_sent() { (($(wc -l <"$samples") >= 20)); }
wait_until "the client sends its first requests" 10 client_has_sent
killed_at=$(now_ms)
podman exec "$(container host-a)" kill -9 "$old_pid"
wait "$client"
read -r sent failed first_fail last_fail back < <(python3 - "$killed_at" "$samples" <<'PY'
import sys
killed = int(sys.argv[1])
rows = [tuple(map(int, line.split())) for line in open(sys.argv[2]) if line.strip()]
failures = [t for t, ok in rows if not ok]
back = next((t for t, ok in rows if ok and t > killed and all(o for tt, o in rows if tt >= t)), 0)
print(len(rows), len(failures), failures[0] if failures else 0, failures[-1] if failures else 0, back)
PY
)
rm -f "$samples"
((back > 0)) || fail "HTTP through host-a did not serve again after its provider was killed"
((first_fail == 0 || first_fail >= killed_at)) || fail "a request failed before the provider was killed"
restored_ms=$((back - killed_at))
((restored_ms <= restart_bound_ms)) || fail "HTTP served again ${restored_ms} ms after the kill, over ${restart_bound_ms} ms"
new_pid=$(provider_processes "$(container host-a)" | awk '{ print $1 }' | head -n 1)
[[ -n $new_pid && $new_pid != "$old_pid" ]] || fail "the provider was not restarted with a new pid ($old_pid → ${new_pid:-none})"
find_event provider_started "$HOST_A" "public_key=\"$HTTPSERVER_PROVIDER\"" 'restart_count=1' >/dev/null ||
    fail "no provider_started with restart_count 1 from host-a"
say "9. host-a's provider killed (pid $old_pid → $new_pid): $failed of $sent requests failed, all while it was down;" \
    "HTTP served again ${restored_ms} ms after the kill (bound ${restart_bound_ms} ms)"

# 11. Chaos. ----------------------------------------------------------------------------------------------
# The short chaos run (scripts/compose/chaos.sh, 120 s when run alone) on this same lattice, before scenarios 3 and
# 4 take host-a and host-c away: faults from a seed it prints, every failed request attributed to one, then links,
# orphans and hosts checked. LATTICE_CHAOS_SECONDS sets its length (default 30).
chaos_log=$(mktemp)
if ! LATTICE_CHAOS_ATTACHED=1 scripts/compose/chaos.sh --duration "${LATTICE_CHAOS_SECONDS:-30}" >"$chaos_log" 2>&1; then
    sed 's/^/   /' "$chaos_log"
    rm -f "$chaos_log"
    fail "the chaos run failed (its report is above)"
fi
sed 's/^/   /' "$chaos_log"
say "11. chaos: $(grep -o 'passed: .*' "$chaos_log")"
rm -f "$chaos_log"

# 12. Placement: auction, cordon, evacuate. ----------------------------------------------------------------
# echo (scenario 10) placed by constraint lands on the only host labelled role=actors; with that host cordoned the
# same constraint finds nobody and an open placement lands elsewhere. Then host-b is evacuated while a client sends
# a request every 20 ms through host-a's provider to hello: none may fail. host-a is cordoned first (scenario 3
# stops it next), so hello moves to host-c; echo, bound to role=actors, has nowhere to go and is reported.
placed=$(op start actor "$echo_ref" --constraint role=actors) || fail "placing echo with role=actors failed: $placed"
grep -q "started on host $HOST_B" <<<"$placed" || fail "echo placed with role=actors did not land on host-b: $placed"
runs_on() { op get inventory "$2" | grep -q "\"$1\""; }
wait_until "echo placed by constraint runs on host-b" 30 runs_on "$ECHO_ACTOR" "$HOST_B"
op cordon host "$HOST_B" >/dev/null
cordoned_b=$(op get hosts --json --window 1s | python3 -c '
import json, sys
print(next((h.get("cordoned") for h in json.load(sys.stdin) if h["id"] == sys.argv[1]), None))' "$HOST_B")
[[ $cordoned_b == True ]] || fail "get hosts does not show host-b cordoned (cordoned: $cordoned_b)"
if nobody=$(op start actor "$echo_ref" --constraint role=actors 2>&1); then
    fail "a placement on role=actors succeeded with host-b cordoned: $nobody"
fi
grep -q "No host satisfies role=actors" <<<"$nobody" || fail "the refused placement said: $nobody"
elsewhere=$(op start actor "$echo_ref") || fail "an open placement failed with host-b cordoned: $elsewhere"
! grep -q "$HOST_B" <<<"$elsewhere" || fail "an open placement landed on the cordoned host-b: $elsewhere"
op cordon host "$HOST_A" >/dev/null
samples=$(mktemp)
stop_load=$(mktemp -u)
python3 scripts/compose/http_load.py "$port" evacuate 0.02 90 "$stop_load" >"$samples" &
client=$!
wait_until "the client sends its first requests" 10 client_has_sent
evacuated_at=$(now_ms)
evacuation=$(op evacuate host "$HOST_B" 2>&1) || true
evacuation_ms=$(($(now_ms) - evacuated_at))
# 50 more requests after the evacuation, so a failure right after the last stop would show too.
after=$(($(wc -l <"$samples") + 50))
more_sent() { (($(wc -l <"$samples") >= after)); }
wait_until "the client sends 50 requests after the evacuation" 10 more_sent
touch "$stop_load"
wait "$client"
read -r sent failed < <(awk '{ n++; if ($2 == 0) f++ } END { print n, f + 0 }' "$samples")
rm -f "$samples" "$stop_load"
grep -q "actor hello ($HELLO_ACTOR) moved to $HOST_C" <<<"$evacuation" ||
    fail "evacuating host-b did not move hello to host-c: $evacuation"
grep -q "actor echo ($ECHO_ACTOR) could not move: No host satisfies role=actors" <<<"$evacuation" ||
    fail "evacuating host-b did not report echo as unmovable: $evacuation"
((failed == 0)) || fail "$failed of $sent requests failed while host-b was evacuated"
runs_on "$HELLO_ACTOR" "$HOST_C" || fail "hello does not run on host-c after the evacuation"
! runs_on "$HELLO_ACTOR" "$HOST_B" || fail "hello still runs on host-b after the evacuation"
http_ok after-evacuation || fail "HTTP through host-a does not reach hello after the evacuation"
op uncordon host "$HOST_A" >/dev/null
say "12. placement: echo with role=actors landed on host-b; with host-b cordoned: $nobody; open placement landed on" \
    "$(sed -n 's/.*started on host \(N.......\).*/\1…/p' <<<"$elsewhere");"
say "    evacuated host-b in ${evacuation_ms} ms under HTTP every 20 ms: $failed of $sent requests failed;"
sed 's/^/       /' <<<"$evacuation"

# 3. Operator stop. ----------------------------------------------------------------------------------------
stop_output=$(op stop host "$HOST_A" --timeout 10s)
echo "$stop_output" | grep -q "acknowledged the stop" || fail "stop host was not acknowledged: $stop_output"
wait_until "host_stopped from host-a" 20 find_event host_stopped "$HOST_A"
host_a_exited() {
    [[ "$(podman inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$(container host-a)")" == "exited 0" ]]
}
wait_until "host-a's container exits 0" 20 host_a_exited
wait_until "host-a's provider reports a normal stop (it obeyed its quit)" 10 \
    find_event provider_stopped "$HOST_A" "public_key=\"$HTTPSERVER_PROVIDER\"" 'reason="normal"'
# (Reason "normal" means it exited 0 while quitting. Its own log line is not checked: the host relays it from a pipe
# and may exit before the line is read.)
host_absent a || fail "host-a still answers pings after its stop"
host_present b && host_present c || fail "host-b or host-c stopped serving after host-a's stop"
# Still serving: host-c takes over HTTP (same provider archive, same link) and hello, on host-c since scenario 12,
# answers it.
op start provider "$HOST_C" "$httpserver_ref" --link default >/dev/null
host_c_ip=$(ip_of "$(container host-c)")
served_by_c() { [[ "$(http_get "http://$host_c_ip:8080/after-stop")" == "Hello from /after-stop" ]]; }
wait_until "HTTP through host-c's provider reaches hello after host-a's stop" 30 served_by_c
say "3. stop host-a: '$stop_output'; host_stopped seen; its container exited 0; its provider obeyed the signed" \
    "quit (provider_stopped reason normal); host-b and host-c still answer, and serve HTTP through host-c"

# 4. Host killed. ------------------------------------------------------------------------------------------
# Both archives are packed and pushed by the operator, then pulled by host-c.
for provider in keyvalue:wasmcloud:keyvalue test:lattice:test; do
    name=${provider%%:*}
    op par create "/opt/lattice/bin/$name-provider" --contract "${provider#*:}" --name "$name" --compress \
        --output "/tmp/$name.par.gz" >/dev/null
    op push "$registry/lattice-ci/$name:0.1.0" "/tmp/$name.par.gz" --insecure >/dev/null
done
op start provider "$HOST_C" "$registry/lattice-ci/keyvalue:0.1.0" --link default >/dev/null
op start provider "$HOST_C" "$registry/lattice-ci/test:0.1.0" --link kill9 >/dev/null
three_providers() { (($(provider_processes "$(container host-c)" | wc -l) == 3)); }
wait_until "host-c runs its three providers (httpserver, keyvalue, test)" 30 three_providers
before=$(provider_processes "$(container host-c)")
host_c_pid=$(podman exec "$(container host-c)" ps -o pid,args | awk '$2 == "lattice-host" { print $1 }')
[[ -n $host_c_pid ]] || fail "no lattice-host process in host-c"
killed_at=$(now_ms)
podman exec "$(container host-c)" kill -9 "$host_c_pid"
no_providers() { [[ -z "$(provider_processes "$(container host-c)")" ]]; }
wait_until "host-c's providers end after its host is killed" 5 no_providers
gone_ms=$(($(now_ms) - killed_at))
((gone_ms <= 2000)) || fail "host-c's providers took ${gone_ms} ms to go, more than 2 s"
say "4. kill -9 of host-c's lattice-host (pid $host_c_pid): its 3 providers gone within ${gone_ms} ms; ps in host-c:"
podman exec "$(container host-c)" ps -o pid,args | sed 's/^/       /'
echo "$before" | sed 's/^/       before: /'

say "all 12 scenarios passed in $(($(date +%s) - started)) s"
