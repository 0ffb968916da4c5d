#!/usr/bin/env python3
"""A Docker registry token service (the distribution "token" auth spec), python3 stdlib plus the openssl CLI:
checks HTTP basic credentials and answers {"token": JWT} granting the scope asked for, signed RS256 with KEY and
carrying CERT in x5c, so a docker-registry configured with that certificate as its root bundle accepts it.

  oci_token_server.py PORT KEY.pem CERT.pem ISSUER SERVICE USER      (the password is read from stdin)"""
import base64
import json
import subprocess
import sys
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def main():
    if len(sys.argv) != 7:
        sys.exit(__doc__)
    port, key, cert, issuer, service, user = sys.argv[1:]
    password = sys.stdin.readline().rstrip("\n")
    der = subprocess.run(["openssl", "x509", "-in", cert, "-outform", "DER"], check=True, capture_output=True).stdout
    expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

    def sign(scopes):
        header = {"typ": "JWT", "alg": "RS256", "x5c": [base64.b64encode(der).decode()]}
        now = int(time.time())
        access = []
        for scope in scopes:
            kind, _, rest = scope.partition(":")
            name, _, actions = rest.rpartition(":")
            access.append({"type": kind, "name": name, "actions": [a for a in actions.split(",") if a]})
        claims = {"iss": issuer, "sub": user, "aud": service, "exp": now + 300, "nbf": now - 10, "iat": now,
                  "jti": str(uuid.uuid4()), "access": access}
        signing_input = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
        signature = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key], input=signing_input.encode(),
                                   check=True, capture_output=True).stdout
        return signing_input + "." + b64url(signature)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            url = urlparse(self.path)
            query = parse_qs(url.query)
            if url.path != "/token" or query.get("service", [""])[0] != service:
                self.send_error(404)
                return
            if self.headers.get("Authorization") != expected:
                self.send_response(401)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = json.dumps({"token": sign(query.get("scope", []))}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format, *args):
            sys.stderr.write("token-server: " + (format % args) + "\n")

    server = ThreadingHTTPServer(("127.0.0.1", int(port)), Handler)
    print("listening", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
