#!/usr/bin/env python3
"""A steady HTTP client for the compose scenarios: one GET every PERIOD seconds until STOP_FILE exists or
MAX_SECONDS pass, whichever is first. Prints one line per request: `epoch_ms ok` (ok is 1 when the reply was
"Hello from /PATH"). Only loopback is addressed: the demo's published port on this machine.

    http_load.py PORT PATH PERIOD MAX_SECONDS [STOP_FILE]
"""
import os
import sys
import time
import urllib.request

port, path, period, max_seconds = int(sys.argv[1]), sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
stop_file = sys.argv[5] if len(sys.argv) > 5 else None
end = time.monotonic() + max_seconds
while time.monotonic() < end and not (stop_file and os.path.exists(stop_file)):
    started = time.monotonic()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/{path}", timeout=1) as reply:
            ok = reply.read().decode().strip() == f"Hello from /{path}"
    except Exception:
        ok = False
    print(f"{time.time() * 1000:.0f} {int(ok)}", flush=True)
    time.sleep(max(0.0, period - (time.monotonic() - started)))
