#!/usr/bin/env python3
"""Checks keys, signatures and JWTs produced by our Swift LatticeCrypto with independent
implementations (PyPI nkeys and pynacl). Usage: verify_swift_crypto.py FILE.json; exit 0 when all agree."""
import base64
import json
import sys

try:
    import nacl.exceptions
    import nacl.signing
    import nkeys_compat as nk
except ImportError as error:  # pragma: no cover - environment problem, reported clearly
    sys.exit(f"missing Python module ({error}); run `make deps`")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def main(path: str) -> int:
    data = json.load(open(path))
    failures = []
    for key in data["keys"]:
        derived = nk.public_key_from_seed(key["seed"])
        if derived != key["public_key"]:
            failures.append(f"{key['kind']}: seed gives {derived}, Swift said {key['public_key']}")
            continue
        verify_key = nacl.signing.VerifyKey(nk.decode_public_key(key["public_key"]))
        try:
            verify_key.verify(bytes.fromhex(key["message_hex"]), bytes.fromhex(key["signature_hex"]))
        except nacl.exceptions.BadSignatureError:
            failures.append(f"{key['kind']}: signature does not verify")
    for token in data["jwts"]:
        header, payload, signature = token.split(".")
        claims = json.loads(unb64url(payload))
        if json.loads(unb64url(header)).get("alg") != "Ed25519":
            failures.append("JWT header alg is not Ed25519")
        verify_key = nacl.signing.VerifyKey(nk.decode_public_key(claims["iss"]))
        try:
            verify_key.verify(f"{header}.{payload}".encode(), unb64url(signature))
        except nacl.exceptions.BadSignatureError:
            failures.append(f"JWT from {claims['iss']} does not verify")
    for failure in failures:
        print(failure, file=sys.stderr)
    print(f"checked {len(data['keys'])} keys and {len(data['jwts'])} JWTs: {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
