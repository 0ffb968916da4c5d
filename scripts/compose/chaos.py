#!/usr/bin/env python3
"""The chaos run's engine (scripts/compose/chaos.sh brings the lattice up and calls it).

For a bounded time, a client sends GET /chaos/N every 20 ms to host-a's published port (the httpserver provider on
host-a, which invokes hello on host-b), while faults drawn from a seed hit the lattice: SIGKILL of host-a's provider,
SIGKILL of a NATS node (restarted 5 s later), lame-duck mode on a NATS node, and a host cut off from the network for
5 s. Afterwards it restores what is still impaired, checks that every link is still stored, that no provider is left
without its host and that every host answers, and attributes every failed request to a fault whose window explains
it. It exits 1 when a check fails or a failure is not explained.

Windows (a request is explained when its [sent, sent + duration] overlaps one):
- provider killed: from the kill until host-a's provider_started for it (read from the events), plus 1 s to serve;
  the restart itself must come within its backoff (1 s doubling per restart) + 2 s;
- NATS node killed: from the kill for the clients' reconnect bound (longest reconnect wait + 2 s);
- lame-duck mode: the node stops taking connections and, after its grace period, closes its clients one by one
  until it exits. Each client it closes has lost its node: each "NATS connection lost" that host-a or host-b (or the
  provider, whose lines host-a relays) logs from the signal until the node exits opens a reconnect-bound window, as
  do the signal itself and the exit;
- host cut off: from the disconnect until the reconnect bound after the network is back.
"""
import argparse
import concurrent.futures
import datetime
import http.client
import json
import os
import random
import re
import subprocess
import sys
import threading
import time

RECONNECT_BOUND = 4.0  # the clients' longest reconnect wait (2 s, NATSConnectionOptions) + 2 s
RESTART_DELAY = 1.0  # --provider-restart-delay: the first restart's backoff, doubling per restart
RESTART_SLACK = 2.0  # spawn to ready, on top of the backoff
SERVE_SLACK = 1.0  # provider_started to the first request served
NATS_DOWN = 5.0  # a killed NATS node is restarted this long after the kill
CUT = 5.0  # a host stays cut off this long
STALE_BOUND = 12.0  # a NATS node closes a dead client within its write deadline (10 s) + 2 s of the first block
MAX_PROVIDER_KILLS = 3  # the host gives up after 5 crashes in 10 minutes; the scenarios may have used some


def log(text):
    print(f"chaos: {text}", flush=True)


class Lattice:
    """The podman side: containers of the compose project, the operator's CLI, logs and events."""

    def __init__(self, args):
        self.args = args

    def container(self, service):
        return f"{self.args.project}_{service}_1"

    def podman(self, *argv, timeout=30, check=True):
        result = subprocess.run(["podman", *argv], capture_output=True, text=True, timeout=timeout)
        if check and result.returncode != 0:
            raise RuntimeError(f"podman {' '.join(argv[:3])}: {result.stderr.strip()[-300:]}")
        return result.stdout

    def op(self, *argv, timeout=30, check=True):
        return self.podman("exec", "-e", f"LATTICE_NATS_URL={self.args.nats_urls}", self.args.operator, "lattice",
                           *argv, timeout=timeout, check=check)

    def processes(self, service):
        """(pid, ppid, args) of every process in the service's container."""
        rows = []
        for line in self.podman("exec", self.container(service), "ps", "-o", "pid,ppid,args").splitlines()[1:]:
            fields = line.split(None, 2)
            if len(fields) == 3 and fields[0].isdigit() and fields[1].isdigit():
                rows.append((int(fields[0]), int(fields[1]), fields[2]))
        return rows

    @staticmethod
    def is_host(args):
        first = args.split()[0] if args.split() else ""
        return first == "lattice-host" or first.endswith("/lattice-host")

    def providers(self, service):
        """(pid, ppid, args) of every provider in the container: an executable from the host's cache."""
        return [row for row in self.processes(service) if row[2].startswith("/tmp/latticecache/")]

    def orphans(self, service):
        rows = self.processes(service)
        hosts = {pid for pid, _, args in rows if self.is_host(args)}
        return [row for row in rows if row[2].startswith("/tmp/latticecache/") and row[1] not in hosts]

    def state(self, service):
        """The container's status and when it last started (which changes when podman restarts it by its policy)."""
        text = self.podman("inspect", "-f", "{{.State.Status}}|{{.State.StartedAt}}", self.container(service),
                           check=False).strip()
        status, _, started = text.partition("|")
        return status, started

    def nats_pid(self, service):
        for pid, _, args in self.processes(service):
            if args.split()[0].endswith("nats-server"):
                return pid
        return None

    def logs(self, *argv):
        """A container's log: what it wrote to stdout and to stderr (podman logs replays each on its own)."""
        result = subprocess.run(["podman", "logs", *argv], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, timeout=60)
        return result.stdout

    def events(self):
        out = []
        for line in self.logs(self.args.watcher).splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
        return out

    def timed_log(self, service, since):
        """(wall time, line) of a container's log since a wall time, from podman's own timestamps."""
        text = self.logs("-t", "--since", str(int(since) - 1), self.container(service))
        rows = []
        for line in text.splitlines():
            stamp, _, rest = line.partition(" ")
            at = parse_time(stamp)
            if at is not None:
                rows.append((at, rest))
        return rows

    def links(self):
        """Each stored link as canonical JSON; None when no host answered with a list."""
        try:
            reply = json.loads(self.op("get", "links", check=False))
        except ValueError:
            return None
        items = reply.get("links") if isinstance(reply, dict) else reply
        if not isinstance(items, list):
            return None
        return sorted(json.dumps(item, sort_keys=True) for item in items)

    def stale_closures(self, host_ids):
        """(wall time, host id, what) of every connection of a host that a NATS node closed for being dead (a slow
        consumer past its write deadline, or a stale connection), from the nodes' own logs."""
        pattern = re.compile(r"^\[\d+\] (\d{4})/(\d\d)/(\d\d) (\d\d:\d\d:\d\d\.\d+) \[\w+\] .*lattice-host (N[A-Z0-9]{55})"
                             r".*?(Slow Consumer Detected|Stale Client Connection)")
        rows = []
        for node in ("nats-1", "nats-2", "nats-3"):
            for line in self.logs(self.container(node)).splitlines():
                match = pattern.match(line)
                if match and match.group(5) in host_ids:
                    at = parse_time(f"{match.group(1)}-{match.group(2)}-{match.group(3)}T{match.group(4)}Z")
                    rows.append((at, match.group(5), f"{node}: {match.group(6)}"))
        return sorted(rows)

    def hosts(self):
        return sorted(line for line in self.op("get", "hosts", "--ids", "--window", "1s", check=False).splitlines()
                      if line.startswith("N"))


def parse_time(text):
    """RFC 3339 with any number of fraction digits, to a wall time; None when it is not one."""
    match = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$", text.strip())
    if not match:
        return None
    zone = "+00:00" if match.group(3) == "Z" else match.group(3)
    base = datetime.datetime.fromisoformat(match.group(1) + zone).timestamp()
    return base + (float(match.group(2)) if match.group(2) else 0.0)


class Client:
    """GET /chaos/N every `interval` on an absolute schedule (a late send does not shift the later ones), each on
    its own connection and with its own timeout, from a bounded pool of threads."""

    def __init__(self, port, interval, timeout):
        self.port, self.interval, self.timeout = port, interval, timeout
        self.results = []  # (index, sent wall time, duration, ok, error)
        self.lock = threading.Lock()
        self.skipped = 0
        self.stop = threading.Event()

    def one(self, index, sent):
        started = time.monotonic()
        error = ""
        try:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            try:
                connection.request("GET", f"/chaos/{index}")
                reply = connection.getresponse()
                body = reply.read(4096).decode(errors="replace").strip()
                ok = reply.status == 200 and body == f"Hello from /chaos/{index}"
                if not ok:
                    error = f"HTTP {reply.status}: {body[:80]}"
            finally:
                connection.close()
        except Exception as failure:  # every failure is recorded, none ends the run
            ok, error = False, f"{type(failure).__name__}: {str(failure)[:80]}"
        with self.lock:
            self.results.append((index, sent, time.monotonic() - started, ok, error))

    def run(self, seconds):
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=int(self.timeout / self.interval) + 16)
        start = time.monotonic()
        index = 0
        while not self.stop.is_set():
            due = start + index * self.interval
            if due - start >= seconds:
                break
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            elif -delay > 1.0:  # this process was stalled for over a second: skip, do not burst
                self.skipped += 1
                index += 1
                continue
            pool.submit(self.one, index, time.time())
            index += 1
        pool.shutdown(wait=True)


class Chaos:
    def __init__(self, args, lattice):
        self.args, self.lattice = args, lattice
        self.rng = random.Random(args.seed)
        self.faults = []  # dicts: kind, target, at, and what each kind adds
        self.impaired = {}  # NATS node -> "killed" | "lame duck"
        self.t0 = None
        self.lock = threading.Lock()

    def rel(self, wall):
        return wall - self.t0

    def note(self, fault):
        with self.lock:
            self.faults.append(fault)
        log(f"  {self.rel(fault['at']):6.2f} s  {fault['kind']} {fault['target']}  {fault.get('detail', '')}")

    def plan(self):
        """The faults' kinds and moments: each kind once, then more drawn at random, one per slot. Of the first
        four, the NATS kill comes before the lame duck, whose node stays impaired until it has drained (~15 s)."""
        kinds = ["provider-kill", "nats-kill", "nats-lame-duck", "host-cut"]
        count = max(len(kinds), int(self.args.duration // 15))
        order = kinds[:]
        self.rng.shuffle(order)
        kill, lame = order.index("nats-kill"), order.index("nats-lame-duck")
        order[min(kill, lame)], order[max(kill, lame)] = "nats-kill", "nats-lame-duck"
        while len(order) < count:
            kind = self.rng.choice(kinds)
            if kind == "provider-kill" and order.count(kind) >= MAX_PROVIDER_KILLS:
                continue
            order.append(kind)
        first, last = 3.0, max(4.0, self.args.duration - 6.0)
        slot = (last - first) / count
        return [(first + i * slot + self.rng.uniform(0, slot * 0.6), kind) for i, kind in enumerate(order)]

    def nats_target(self):
        healthy = [node for node in ("nats-1", "nats-2", "nats-3") if node not in self.impaired]
        # One node impaired at a time: JetStream keeps its quorum (two of three) and every client a server.
        return self.rng.choice(healthy) if len(healthy) == 3 else None

    def later(self, delay, action):
        timer = threading.Timer(delay, action)
        timer.daemon = True
        timer.start()
        return timer

    def provider_kill(self):
        rows = self.lattice.processes("host-a")
        hosts = {pid for pid, _, args in rows if Lattice.is_host(args)}
        providers = [row for row in rows if row[2].startswith("/tmp/latticecache/") and row[1] in hosts]
        if not providers:
            log("  (no provider of host-a's host is running: provider kill skipped)")
            return
        pid = self.rng.choice(providers)[0]
        at = time.time()
        self.lattice.podman("exec", self.lattice.container("host-a"), "kill", "-9", str(pid))
        self.note({"kind": "provider-kill", "target": "host-a", "at": at, "detail": f"SIGKILL pid {pid}"})

    def nats_kill(self):
        node = self.nats_target()
        if node is None:
            log("  (another NATS node is impaired: NATS kill skipped)")
            return
        self.impaired[node] = "killed"
        at = time.time()
        # `stop -t 0` sends SIGKILL at once, with no stop signal first, and marks the container stopped so that
        # podman does not restart it by its policy (`kill -s KILL` would, at once): it comes back 5 s later.
        self.lattice.podman("stop", "-t", "0", self.lattice.container(node))
        fault = {"kind": "nats-kill", "target": node, "at": at, "detail": "SIGKILL (podman stop -t 0)"}
        self.note(fault)

        def restart():
            self.lattice.podman("start", self.lattice.container(node), check=False)
            fault["restarted"] = time.time()
            log(f"  {self.rel(fault['restarted']):6.2f} s  {node} restarted")
            self.impaired.pop(node, None)

        self.later(NATS_DOWN, restart)

    def nats_lame_duck(self):
        node = self.nats_target()
        if node is None:
            log("  (another NATS node is impaired: lame duck skipped)")
            return
        pid = self.lattice.nats_pid(node)
        if pid is None:
            log(f"  (no nats-server in {node}: lame duck skipped)")
            return
        self.impaired[node] = "lame duck"
        started = self.lattice.state(node)[1]
        at = time.time()
        # SIGUSR2 is nats-server's lame-duck signal (what `nats-server --signal ldm=PID` sends).
        self.lattice.podman("exec", self.lattice.container(node), "kill", "-USR2", str(pid))
        self.note({"kind": "nats-lame-duck", "target": node, "at": at, "started": started,
                   "detail": f"SIGUSR2 to nats-server pid {pid}"})

    def host_cut(self):
        # host-a is left out: the client's own path (its published port) goes through its network.
        host = self.rng.choice(["host-b", "host-c"])
        network = self.args.network
        at = time.time()
        self.lattice.podman("network", "disconnect", network, self.lattice.container(host))
        fault = {"kind": "host-cut", "target": host, "at": at, "detail": f"disconnected from {network} for {CUT:.0f} s"}
        self.note(fault)

        def reconnect():
            self.lattice.podman("network", "connect", network, self.lattice.container(host), check=False)
            fault["reconnected"] = time.time()
            log(f"  {self.rel(fault['reconnected']):6.2f} s  {host} reconnected")

        self.later(CUT, reconnect)

    def watch_lame_ducks(self):
        """Records when a lame-duck node has drained and exited. The compose file's restart policy starts it again
        at once; if it has not, this starts it 5 s later, as an operator would."""
        for fault in self.faults:
            if fault["kind"] != "nats-lame-duck" or "exited" in fault:
                continue
            node = fault["target"]
            status, started = self.lattice.state(node)
            if status == "running" and started != fault["started"]:
                fault["exited"] = fault["restarted"] = time.time()
                log(f"  {self.rel(fault['exited']):6.2f} s  {node} finished its lame duck, exited, and was restarted "
                    "by podman (restart: unless-stopped)")
                self.impaired.pop(node, None)
            elif status in ("exited", "stopped"):
                fault["exited"] = time.time()
                log(f"  {self.rel(fault['exited']):6.2f} s  {node} finished its lame duck and exited")

                def restart(node=node, fault=fault):
                    self.lattice.podman("start", self.lattice.container(node), check=False)
                    fault["restarted"] = time.time()
                    log(f"  {self.rel(fault['restarted']):6.2f} s  {node} restarted")
                    self.impaired.pop(node, None)

                self.later(NATS_DOWN, restart)

    def inject(self, plan, seconds):
        actions = {"provider-kill": self.provider_kill, "nats-kill": self.nats_kill,
                   "nats-lame-duck": self.nats_lame_duck, "host-cut": self.host_cut}
        for number, (offset, kind) in enumerate(plan):
            until = self.t0 + (plan[number + 1][0] if number + 1 < len(plan) else seconds - 3)
            while time.time() < self.t0 + offset:
                self.watch_lame_ducks()
                time.sleep(min(0.5, max(0.0, self.t0 + offset - time.time())))
            # A NATS fault waits while another node is impaired (one at a time keeps JetStream's quorum), at
            # most until the next fault is due.
            while kind.startswith("nats-") and self.impaired and time.time() < until:
                self.watch_lame_ducks()
                time.sleep(0.5)
            try:
                actions[kind]()
            except Exception as failure:
                log(f"  FAULT FAILED {kind}: {failure}")
                raise
        while time.time() < self.t0 + seconds:
            self.watch_lame_ducks()
            time.sleep(0.5)

    def restore(self):
        """After the client stops: waits for pending restarts and reconnects, and stops and starts a node still in
        lame duck (its drain would outlast the run), so the checks see the whole lattice."""
        deadline = time.time() + NATS_DOWN + CUT + 5
        while time.time() < deadline:
            pending = [f for f in self.faults if (f["kind"] == "nats-kill" and "restarted" not in f)
                       or (f["kind"] == "host-cut" and "reconnected" not in f)]
            if not pending:
                break
            time.sleep(0.2)
        self.watch_lame_ducks()
        for fault in self.faults:
            if fault["kind"] == "nats-lame-duck" and "exited" not in fault:
                node = fault["target"]
                self.lattice.podman("stop", "-t", "5", self.lattice.container(node), check=False)
                fault["restored"] = time.time()
                self.lattice.podman("start", self.lattice.container(node), check=False)
                self.impaired.pop(node, None)
                log(f"  {self.rel(fault['restored']):6.2f} s  {node} still in lame duck after the run: stopped and "
                    "started again (restore, no request in flight)")
        while time.time() < deadline + 10 and any(f["kind"] == "nats-lame-duck" and "exited" in f
                                                   and "restarted" not in f for f in self.faults):
            time.sleep(0.2)


def windows(chaos, events, host_logs, stale, host_ids, provider_key, host_a_id, end):
    """(start, end, fault label, reason) of every window in which a failure is explained, and the bound checks."""
    out, findings = [], []
    started = sorted(
        (parse_time(e.get("time", "")), e.get("data", {}).get("restart_count"))
        for e in events
        if e.get("type") == "com.wasmcloud.lattice.provider_started" and e.get("source") == host_a_id
        and e.get("data", {}).get("public_key") == provider_key and parse_time(e.get("time", "")) is not None)
    losses = sorted(at for rows in host_logs.values() for at, line in rows if "NATS connection lost" in line)
    for fault in chaos.faults:
        label = f"{fault['kind']} {fault['target']} at {chaos.rel(fault['at']):.2f} s"
        at = fault["at"]
        if fault["kind"] == "provider-kill":
            ready = next(((t, count) for t, count in started if t > at), None)
            if ready is None:
                findings.append(f"{label}: no provider_started from host-a after the kill")
                out.append((at, at + RESTART_DELAY + RESTART_SLACK, label, "provider down (never restarted)"))
                continue
            count = ready[1] or 1
            bound = RESTART_DELAY * 2 ** (count - 1) + RESTART_SLACK
            fault["ready"] = ready[0]
            if ready[0] - at > bound:
                findings.append(f"{label}: provider_started (restart {count}) came {ready[0] - at:.2f} s after the "
                                f"kill, over its bound of {bound:.1f} s")
            out.append((at, ready[0] + SERVE_SLACK, label,
                        f"provider down until provider_started (restart {count}) at {chaos.rel(ready[0]):.2f} s"))
        elif fault["kind"] == "nats-kill":
            out.append((at, at + RECONNECT_BOUND, label, "node lost, within the reconnect bound"))
        elif fault["kind"] == "nats-lame-duck":
            until = fault.get("exited", fault.get("restored", end)) + 1.0
            out.append((at, at + RECONNECT_BOUND, label, "lame-duck signal, within the reconnect bound"))
            for loss in losses:
                if at <= loss <= until:
                    out.append((loss, loss + RECONNECT_BOUND, label,
                                f"a client closed by the lame-duck node at {chaos.rel(loss):.2f} s, within the "
                                "reconnect bound"))
            if "exited" in fault:
                out.append((fault["exited"], fault["exited"] + RECONNECT_BOUND, label,
                            "node exited after its lame duck, within the reconnect bound"))
        elif fault["kind"] == "host-cut":
            back = fault.get("reconnected", at + CUT)
            out.append((at, back + RECONNECT_BOUND, label,
                        f"{fault['target']} cut off until {chaos.rel(back):.2f} s, plus the reconnect bound"))
            # The node that held the host's connection keeps it, and its subscriptions, after the host has
            # reconnected elsewhere: messages it routes there are lost until it finds the connection dead.
            host = host_ids.get(fault["target"])
            closed = next(((t, what) for t, who, what in stale if who == host and t > at), None)
            # Failures past the bound stay unexplained (a host whose old connection takes no traffic, such as
            # host-c's, costs nothing however long the node keeps it).
            if closed is not None:
                until = min(closed[0], back + STALE_BOUND)
                out.append((at, until + SERVE_SLACK, label,
                            f"{fault['target']}'s old connection still subscribed until {closed[1]} closed it at "
                            f"{chaos.rel(closed[0]):.2f} s (bound: the reconnect + {STALE_BOUND:.0f} s, "
                            f"{chaos.rel(back + STALE_BOUND):.2f} s)"))
    return out, findings


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--duration", type=float, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--project", required=True)
    parser.add_argument("--network", required=True)
    parser.add_argument("--operator", required=True)
    parser.add_argument("--watcher", required=True)
    parser.add_argument("--nats-urls", required=True)
    parser.add_argument("--provider-key", required=True)
    parser.add_argument("--host-ids", required=True, help="host-a=N…,host-b=N…,host-c=N…")
    parser.add_argument("--interval", type=float, default=0.02)
    parser.add_argument("--timeout", type=float, default=2.0)
    args = parser.parse_args()

    host_ids = dict(item.split("=", 1) for item in args.host_ids.split(","))
    lattice = Lattice(args)
    chaos = Chaos(args, lattice)
    links_before = lattice.links()
    hosts_before = lattice.hosts()
    if not links_before:
        log(f"FAILED: no link is stored before the run ({links_before!r})")
        return 1
    plan = chaos.plan()
    log(f"seed {args.seed}: {args.duration:.0f} s, a request every {args.interval * 1000:.0f} ms "
        f"(timeout {args.timeout:.1f} s each), faults planned at "
        + ", ".join(f"{offset:.1f} s {kind}" for offset, kind in plan))
    log(f"before: {len(links_before)} link(s) stored, {len(hosts_before)} host(s) answering")

    client = Client(args.port, args.interval, args.timeout)
    chaos.t0 = time.time()
    sender = threading.Thread(target=client.run, args=(args.duration,), daemon=True)
    sender.start()
    log("faults (seconds from the start):")
    failure = None
    try:
        chaos.inject(plan, args.duration)
    except Exception as error:
        failure = error
    client.stop.set()
    sender.join()
    end = time.time()
    chaos.restore()

    # Windows, from the fault log, the events and the hosts' own logs of their NATS connections.
    host_logs = {service: lattice.timed_log(service, chaos.t0) for service in ("host-a", "host-b")}
    stale = lattice.stale_closures(set(host_ids.values()))
    allowed, findings = windows(chaos, lattice.events(), host_logs, stale, host_ids, args.provider_key,
                                host_ids["host-a"], end)
    log("windows in which a request may fail (seconds from the start):")
    for start, stop, label, reason in sorted(allowed):
        log(f"  {chaos.rel(start):6.2f}–{chaos.rel(stop):6.2f} s  {label}: {reason}")
    if failure is not None:
        findings.append(f"a fault could not be injected: {failure}")

    results = sorted(client.results)
    failed = [r for r in results if not r[3]]
    successes = sorted(sent + duration for _, sent, duration, ok, _ in results if ok)
    marks = [chaos.t0] + successes + [chaos.t0 + args.duration]
    gap, gap_at = max(((b - a, a) for a, b in zip(marks, marks[1:])), default=(0.0, chaos.t0))
    log(f"requests: {len(results)} sent, {len(failed)} failed, {len(results) - len(failed)} answered; "
        f"longest gap without a successful reply {gap * 1000:.0f} ms (from {chaos.rel(gap_at):.2f} s)"
        + (f"; {client.skipped} sends skipped (the client itself was stalled)" if client.skipped else ""))

    # Attribution: each failure to the window it overlaps that opened last (its likeliest cause).
    attributed, unexplained = {}, []
    for index, sent, duration, _, error in failed:
        window = max((w for w in allowed if sent <= w[1] and sent + duration >= w[0]), key=lambda w: w[0],
                     default=None)
        if window is None:
            unexplained.append((index, sent, duration, error))
        else:
            attributed.setdefault((window[2], window[3]), []).append(sent)
    log("attribution of the failed requests:")
    for (label, reason), sents in sorted(attributed.items(), key=lambda item: item[1][0]):
        log(f"  {len(sents):4d} during {label}: {reason} "
            f"({chaos.rel(min(sents)):.2f}–{chaos.rel(max(sents)):.2f} s)")
    for index, sent, duration, error in unexplained[:20]:
        log(f"  UNEXPLAINED request {index} sent at {chaos.rel(sent):.2f} s ({duration * 1000:.0f} ms): {error}")
    if len(unexplained) > 20:
        log(f"  … and {len(unexplained) - 20} more unexplained")
    if not failed:
        log("  (none failed)")

    # The checks, each with a bounded wait for the lattice to settle after the restore.
    def settle(check, seconds):
        deadline = time.time() + seconds
        while True:
            result = check()
            if result is None or time.time() > deadline:
                return result
            time.sleep(1)

    def links_missing():
        now = set(lattice.links() or [])
        missing = [link for link in links_before if link not in now]
        return missing or None

    def hosts_missing():
        now = set(lattice.hosts())
        missing = [host for host in hosts_before if host not in now]
        return missing or None

    def orphans():
        found = [f"{service}: {row}" for service in ("host-a", "host-b", "host-c") for row in lattice.orphans(service)]
        return found or None

    missing_links = settle(links_missing, 30)
    missing_hosts = settle(hosts_missing, 30)
    orphaned = settle(orphans, 10)
    log("checks:")
    log(f"  links in the KV: {'all ' + str(len(links_before)) + ' still stored' if not missing_links else 'MISSING ' + str(missing_links)}")
    log(f"  providers without their host: {'none in host-a, host-b, host-c' if not orphaned else 'FOUND ' + str(orphaned)}")
    log(f"  hosts answering: {'all ' + str(len(hosts_before)) if not missing_hosts else 'MISSING ' + str(missing_hosts)}")
    for finding in findings:
        log(f"  FINDING: {finding}")

    problems = []
    if missing_links:
        problems.append("links missing from the KV")
    if orphaned:
        problems.append("providers left without their host")
    if missing_hosts:
        problems.append("hosts missing from get hosts")
    if findings:
        problems.append(f"{len(findings)} bound(s) not held")
    if unexplained:
        problems.append(f"{len(unexplained)} failed request(s) not explained by a fault")
    if not results:
        problems.append("the client sent nothing")
    summary = (f"seed {args.seed}, {len(results)} sent, {len(failed)} failed, longest gap {gap * 1000:.0f} ms, "
               f"{len(chaos.faults)} faults ({', '.join(f['kind'] + ' ' + f['target'] for f in chaos.faults)})")
    if problems:
        log(f"FAILED: {'; '.join(problems)} ({summary}); replay with --seed {args.seed}")
        return 1
    log(f"passed: {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
