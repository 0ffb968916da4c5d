#!/usr/bin/env python3
"""Regenerates Tests/LatticeCryptoTests/Fixtures/nkeys_python.json with independent implementations
(PyPI nkeys and pynacl), so the Swift tests can check that our crypto agrees with them."""
import base64
import json
import os
import pathlib
import time

import nacl.signing

import nkeys_compat as nk

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "Tests/LatticeCryptoTests/Fixtures/nkeys_python.json"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def main() -> None:
    keys = []
    for name, prefix in nk.PREFIXES.items():
        seed = nk.encode_seed(os.urandom(32), prefix)
        message = os.urandom(48)
        signature = nacl.signing.SigningKey(nk.raw_seed(seed)).sign(message).signature
        keys.append({"kind": name, "seed": seed, "public_key": nk.public_key_from_seed(seed),
                     "message_hex": message.hex(), "signature_hex": signature.hex()})
    jwts = []
    for name in ("account", "cluster"):
        seed = nk.encode_seed(os.urandom(32), nk.PREFIXES[name])
        issuer = nk.public_key_from_seed(seed)
        header = b64url(json.dumps({"typ": "jwt", "alg": "Ed25519"}, separators=(",", ":")).encode())
        payload = b64url(json.dumps({"jti": os.urandom(8).hex(), "iat": int(time.time()), "iss": issuer,
                                     "sub": "python-fixture", "wascap": {"name": "interop"}},
                                    separators=(",", ":")).encode())
        signing_input = f"{header}.{payload}".encode()
        signature = nacl.signing.SigningKey(nk.raw_seed(seed)).sign(signing_input).signature
        jwts.append({"issuer": issuer, "token": f"{header}.{payload}.{b64url(signature)}"})
    OUT.write_text(json.dumps({"generator": "PyPI nkeys + pynacl", "keys": keys, "jwts": jwts}, indent=2) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
