#!/usr/bin/env bash
# The chaos run on the compose lattice (issue 15): for a bounded time, a request every 20 ms through host-a's
# httpserver provider to hello on host-b, while faults drawn from a seed hit the lattice (a provider SIGKILLed, a
# NATS node SIGKILLed and restarted 5 s later, a NATS node in lame-duck mode, a host cut off from the network for
# 5 s). It prints the requests sent and failed, the longest gap without a successful reply and every fault with its
# time, attributes every failure to a fault, checks links, orphans and hosts, and stops by itself (chaos.py says how).
#
#   scripts/compose/chaos.sh [--seed N] [--duration SECONDS]     (default: a random seed, 120 s)
#
# Alone, it brings the compose lattice up (after scripts/compose/build-test-image.sh) and tears it down at the end.
# run-scenarios.sh runs it on its own lattice instead (LATTICE_CHAOS_ATTACHED=1, with that run's passwords and
# port in the environment), and leaves the lattice to it.
set -euo pipefail
cd "$(dirname "$0")/../.."
seed=$(python3 -c 'import secrets; print(secrets.randbelow(1_000_000))')
duration=120
while (($#)); do
    case $1 in
        --seed) seed=${2:?--seed needs a number}; shift 2 ;;
        --duration) duration=${2:?--duration needs seconds}; shift 2 ;;
        *) echo "chaos: unknown option '$1' (use --seed N and --duration SECONDS)" >&2; exit 2 ;;
    esac
done
[[ $seed =~ ^[0-9]+$ && $duration =~ ^[0-9]+$ ]] || { echo "chaos: --seed and --duration take whole numbers" >&2; exit 2; }
prefix=chaos
source scripts/compose/lattice.sh

if [[ ${LATTICE_CHAOS_ATTACHED:-} == 1 ]]; then
    port=${LATTICE_DEMO_PORT:?the attached run needs LATTICE_DEMO_PORT}
    HOST_A=$(host_id a)
    HOST_B=$(host_id b)
    HOST_C=$(host_id c)
    source <(demo_keys)
else
    trap 'status=$?; lattice_down "$status"; exit "$status"' EXIT
    trap 'exit 130' INT TERM
    lattice_up
fi
[[ -n $HOST_A && -n $HOST_B && -n $HOST_C && -n ${HTTPSERVER_PROVIDER:-} ]] ||
    fail "a host or the demo's provider key is unknown (is the lattice up?)"
say "seed $seed (replay with scripts/compose/chaos.sh --seed $seed --duration $duration)"
chaos_started=$(date +%s)
status=0
python3 scripts/compose/chaos.py --seed "$seed" --duration "$duration" --port "$port" --project "$project" \
    --network "$network" --operator "$operator" --watcher "$watcher" --nats-urls "$nats_urls" \
    --provider-key "$HTTPSERVER_PROVIDER" --host-ids "host-a=$HOST_A,host-b=$HOST_B,host-c=$HOST_C" || status=$?
say "the chaos run took $(($(date +%s) - chaos_started)) s in all (run, restore and checks)"
exit "$status"
