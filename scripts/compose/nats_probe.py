#!/usr/bin/env python3
"""Asks nats-server itself what a login may do, over the raw NATS text protocol (stdlib only).

    nats_probe.py HOST:PORT [--user NAME --password-env VAR] CHECK...

Each CHECK is EXPECTATION:ACTION[:SUBJECT]: `allow` or `deny`, then `connect`, `pub` or `sub`, e.g.
`deny:pub:wasmbus.evt.default`, `allow:sub:_INBOX.>`, `deny:connect`. The password is read from the
environment variable named by --password-env, never from the command line. One line per check:

    ok   deny pub wasmbus.evt.default: -ERR 'Permissions Violation for Publish to "wasmbus.evt.default"'

The text after the colon is the server's own answer (`allowed` when it had no objection). Exits 0 when every
check met its expectation, 1 otherwise, 2 on a usage or connection error.

A publish that is allowed is really published (with an empty payload): aim allowed checks at subjects
nobody listens to on a live lattice.
"""

import argparse
import json
import os
import socket
import sys


class ProbeError(Exception):
    """The server could not be reached or spoke something other than NATS."""


class Connection:
    """One NATS client connection that reports the server's -ERR lines instead of hiding them."""

    def __init__(self, address, user=None, password=None, timeout=5.0):
        host, _, port = address.rpartition(":")
        try:
            self.sock = socket.create_connection((host, int(port)), timeout=timeout)
        except (OSError, ValueError) as error:
            raise ProbeError(f"cannot connect to {address}: {error}") from error
        self.buffer = b""
        self.sid = 0
        info = self._line()
        if not info.startswith("INFO "):
            raise ProbeError(f"{address} is not a NATS server (first line: {info[:80]!r})")
        connect = {"verbose": False, "pedantic": False, "name": "nats_probe", "lang": "python", "version": "1",
                   "protocol": 1, "headers": False}
        if user is not None:
            connect["user"] = user
            connect["pass"] = password or ""
        self.sock.sendall(b"CONNECT " + json.dumps(connect).encode() + b"\r\n")
        self.login_answer = self._round_trip()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def publish(self, subject):
        """The server's -ERR for a publish, or None when it accepted it."""
        return self._round_trip(f"PUB {subject} 0\r\n\r\n")

    def subscribe(self, subject):
        """The server's -ERR for a subscription, or None when it accepted it (it is removed again)."""
        self.sid += 1
        answer = self._round_trip(f"SUB {subject} {self.sid}\r\n")
        if answer is None:
            self.sock.sendall(f"UNSUB {self.sid}\r\n".encode())
        return answer

    def _round_trip(self, command=""):
        """Sends the command and a PING; returns the first -ERR before the PONG, or None."""
        self.sock.sendall(command.encode() + b"PING\r\n")
        error = None
        while True:
            try:
                line = self._line()
            except ProbeError:
                if error is not None:
                    return error  # the server closes the connection after an authorization error
                raise
            if line == "PONG":
                return error
            if line == "PING":
                self.sock.sendall(b"PONG\r\n")
            elif line.startswith("-ERR"):
                error = error or line
            elif line.startswith("MSG ") or line.startswith("HMSG "):
                self._read_exactly(int(line.split()[-1]) + 2)  # a message on a probe subscription: skip it
            # INFO updates and +OK need no answer

    def _line(self):
        while b"\r\n" not in self.buffer:
            self._fill()
        line, _, self.buffer = self.buffer.partition(b"\r\n")
        return line.decode(errors="replace")

    def _read_exactly(self, count):
        while len(self.buffer) < count:
            self._fill()
        self.buffer = self.buffer[count:]

    def _fill(self):
        try:
            chunk = self.sock.recv(65536)
        except OSError as error:
            raise ProbeError(f"reading from the server: {error}") from error
        if not chunk:
            raise ProbeError("the server closed the connection")
        self.buffer += chunk


def parse_check(text):
    expectation, _, rest = text.partition(":")
    action, _, subject = rest.partition(":")
    if expectation not in ("allow", "deny") or action not in ("connect", "pub", "sub") \
            or (action == "connect") != (subject == ""):
        raise ValueError(f"bad check {text!r}: use allow|deny:connect or allow|deny:pub|sub:SUBJECT")
    return expectation, action, subject


def run_checks(address, user, password, checks):
    """Runs the checks on one connection (a fresh one after a refused login); yields (passed, line)."""
    connection = None
    try:
        for expectation, action, subject in checks:
            if connection is None or action == "connect":
                if connection is not None:
                    connection.close()
                connection = Connection(address, user, password)
                login = connection.login_answer
                if action == "connect":
                    answer = login
                elif login is not None:
                    raise ProbeError(f"login as {user or 'nobody'} refused: {login}")
            if action == "pub":
                answer = connection.publish(subject)
            elif action == "sub":
                answer = connection.subscribe(subject)
            passed = (answer is None) == (expectation == "allow")
            what = f"{action} {subject}".strip()
            yield passed, f"{'ok  ' if passed else 'FAIL'} {expectation} {what}: {answer or 'allowed'}"
            if action == "connect" and answer is not None:
                connection.close()
                connection = None
    finally:
        if connection is not None:
            connection.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("address", help="HOST:PORT of a nats-server")
    parser.add_argument("--user", help="the login's user name (none: connect without credentials)")
    parser.add_argument("--password-env", metavar="VAR", help="the environment variable holding the password")
    parser.add_argument("checks", nargs="+", metavar="CHECK", help="allow|deny:connect, allow|deny:pub|sub:SUBJECT")
    arguments = parser.parse_args()
    password = None
    if arguments.password_env:
        password = os.environ.get(arguments.password_env)
        if password is None:
            parser.error(f"--password-env {arguments.password_env}: that variable is not set")
    try:
        checks = [parse_check(text) for text in arguments.checks]
        failed = 0
        for passed, line in run_checks(arguments.address, arguments.user, password, checks):
            print(line, flush=True)
            failed += not passed
    except (ValueError, ProbeError) as error:
        print(f"nats_probe: {error}", file=sys.stderr)
        return 2
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
