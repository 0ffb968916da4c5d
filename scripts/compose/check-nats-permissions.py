#!/usr/bin/env python3
"""Checks deploy/nats/nats-server.conf's roles against a running nats-server, one subject at a time.

    check-nats-permissions.py HOST:PORT [--lattice NAME] [--live]

The passwords come from LATTICE_OPERATOR_PASSWORD, LATTICE_HOST_PASSWORD and LATTICE_PROVIDER_PASSWORD (as
the server was started with). Every role is checked for what it may do and for what it must not: the
anonymous and wrong-password logins, control commands, events, the link bucket, other lattices, inboxes.
Host, actor and provider keys are made up, so an allowed publish reaches nobody; with --live (a lattice is
running on the server) allowed publishes are skipped all the same, since a host's event or a bucket write
would reach real subscribers. Exits 1 if any check fails.
"""

import argparse
import os
import sys

from nats_probe import ProbeError, parse_check, run_checks

HOST = "NPROBEHOST"
ACTOR = "MPROBEACTOR"
PROVIDER = "VPROBEPROVIDER"


def checks(expectation, action, *subjects):
    return [f"{expectation}:{action}:{subject}" for subject in subjects]


def table(lattice):
    """(user, password variable, checks) for each login, the lattice's name filled in."""
    ctl, rpc, evt = f"wasmbus.ctl.{lattice}", f"wasmbus.rpc.{lattice}", f"wasmbus.evt.{lattice}"
    bucket = f"LATTICEDATA_{lattice}"
    stream = f"KV_{bucket}"
    commands = [f"{ctl}.cmd.{HOST}.{command}" for command in ("stop", "lp", "sp", "la", "sa")]
    commands += [f"{ctl}.linkdefs.put", f"{ctl}.linkdefs.del"]
    bucket_admin = [f"$JS.API.STREAM.{verb}.{stream}" for verb in ("DELETE", "PURGE", "UPDATE", "MSG.DELETE")]
    bucket_read = [f"$JS.API.STREAM.INFO.{stream}", f"$JS.API.DIRECT.GET.{stream}.$KV.{bucket}.probe",
                   f"$JS.API.CONSUMER.CREATE.{stream}", "$JS.API.STREAM.NAMES"]
    provider_rpc = f"{rpc}.{PROVIDER}.default"
    operator = (
        ["allow:connect"]
        + checks("allow", "pub", *commands, *bucket_read, f"{ctl}.ping.hosts", f"{ctl}.get.links",
                 f"{ctl}.quit.{HOST}", f"{rpc}.{ACTOR}")
        + checks("deny", "pub", *bucket_admin, evt, f"$KV.{bucket}.probe", f"$JS.API.STREAM.CREATE.{stream}",
                 f"wasmbus.ctl.other.cmd.{HOST}.stop", "_INBOX.probe")
        + checks("allow", "sub", evt, "_INBOX.>")
        + checks("deny", "sub", f"{ctl}.>", f"{rpc}.{ACTOR}", "wasmbus.evt.other", ">"))
    host = (
        ["allow:connect"]
        + checks("allow", "pub", evt, f"{ctl}.quit.{HOST}", f"{rpc}.{ACTOR}", f"{provider_rpc}.linkdefs.put",
                 f"$KV.{bucket}.probe", f"$JS.API.STREAM.CREATE.{stream}", *bucket_read)
        + checks("deny", "pub", *commands, *bucket_admin, f"{ctl}.ping.hosts", "$JS.API.STREAM.CREATE.OTHER",
                 "$KV.OTHER.probe", "wasmbus.evt.other", "_INBOX.probe")
        + checks("allow", "sub", f"{ctl}.cmd.{HOST}.*", f"{ctl}.get.{HOST}.inv", f"{ctl}.ping.hosts",
                 f"{ctl}.linkdefs.put", f"{rpc}.{ACTOR}", evt, "_INBOX.>")
        # (a host may subscribe to {rpc}.>, but the server's deny list keeps providers' subjects out of it)
        + checks("deny", "sub", provider_rpc, f"{provider_rpc}.health", "wasmbus.ctl.other.>", ">"))
    provider = (
        ["allow:connect"]
        + checks("allow", "pub", f"{rpc}.{ACTOR}", provider_rpc, f"{ctl}.get.links", f"{ctl}.get.{HOST}.inv")
        + checks("deny", "pub", *commands, *bucket_read, f"{ctl}.ping.hosts", f"{ctl}.quit.{HOST}", evt,
                 f"$KV.{bucket}.probe", "_INBOX.probe")
        + checks("allow", "sub", provider_rpc, f"{provider_rpc}.health", f"{ctl}.quit.{HOST}", evt, "_INBOX.>")
        + checks("deny", "sub", f"{rpc}.{ACTOR}", f"{rpc}.*", f"{ctl}.cmd.{HOST}.*", f"{ctl}.>", ">"))
    return [
        (None, None, ["deny:connect"]),
        ("operator", "LATTICE_HOST_PASSWORD", ["deny:connect"]),
        ("host", "LATTICE_PROVIDER_PASSWORD", ["deny:connect"]),
        ("provider", "LATTICE_OPERATOR_PASSWORD", ["deny:connect"]),
        ("operator", "LATTICE_OPERATOR_PASSWORD", operator),
        ("host", "LATTICE_HOST_PASSWORD", host),
        ("provider", "LATTICE_PROVIDER_PASSWORD", provider),
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("address", help="HOST:PORT of a nats-server started with deploy/nats/nats-server.conf")
    parser.add_argument("--lattice", default="default", help="the lattice the configuration is written for")
    parser.add_argument("--live", action="store_true", help="a lattice runs on this server: skip allowed publishes")
    arguments = parser.parse_args()
    failed = checked = 0
    try:
        for user, variable, texts in table(arguments.lattice):
            password = os.environ.get(variable) if variable else None
            if variable and password is None:
                parser.error(f"{variable} is not set")
            checks = [parse_check(text) for text in texts]
            if arguments.live:
                checks = [check for check in checks if check[:2] != ("allow", "pub")]
            for passed, line in run_checks(arguments.address, user, password, checks):
                print(f"{user or 'anonymous'}: {line}", flush=True)
                checked += 1
                failed += not passed
    except ProbeError as error:
        print(f"check-nats-permissions: {error}", file=sys.stderr)
        return 2
    print(f"check-nats-permissions: {checked - failed} of {checked} checks as expected")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
