#!/usr/bin/env python3
"""Signs and verifies lattice invocations with independent implementations (PyNaCl, msgpack, nkeys),
following DESIGN §4, to check our Swift implementation against them.

  invocation_interop.py sign CLUSTER_SEED ORIGIN_KEY ACTOR_KEY HOST_ID OPERATION PAYLOAD_HEX OUT_FILE
  invocation_interop.py verify FILE TRUSTED_ISSUER     (exit 0 when the invocation verifies)"""
import base64
import hashlib
import json
import os
import sys
import time
import uuid

import msgpack
import nacl.exceptions
import nacl.signing

import nkeys_compat as nk


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def url(entity: dict) -> str:
    if entity["public_key"].startswith("M"):
        return f"wasmbus://{entity['public_key']}"
    contract = entity["contract_id"].replace(":", "/").replace(" ", "_").lower()
    link = entity["link_name"].replace(" ", "_").lower()
    return f"wasmbus://{contract}/{link}/{entity['public_key']}"


def invocation_hash(origin: dict, target: dict, operation: str, msg: bytes) -> str:
    target_url = url(target) + "/" + operation
    data = url(origin).encode() + target_url.encode() + operation.encode() + msg
    return hashlib.sha256(data).hexdigest().upper()


def sign(seed, origin_key, actor_key, host_id, operation, payload_hex, out):
    msg = bytes.fromhex(payload_hex)
    origin = {"public_key": origin_key, "contract_id": "lattice:test", "link_name": "default"}
    target = {"public_key": actor_key, "contract_id": "", "link_name": ""}
    invocation_id = str(uuid.uuid4())
    now = int(time.time())
    claims = {
        "jti": os.urandom(16).hex(), "iat": now, "exp": now + 60, "iss": nk.public_key_from_seed(seed),
        "sub": invocation_id,
        "wascap": {"target_url": url(target) + "/" + operation, "origin_url": url(origin),
                   "hash": invocation_hash(origin, target, operation, msg)},
        "wascap_revision": 3,
    }
    header = b64url(json.dumps({"typ": "jwt", "alg": "Ed25519"}, separators=(",", ":")).encode())
    payload = b64url(json.dumps(claims, separators=(",", ":")).encode())
    signature = nacl.signing.SigningKey(nk.raw_seed(seed)).sign(f"{header}.{payload}".encode()).signature
    invocation = {"origin": origin, "target": target, "operation": operation, "msg": msg, "id": invocation_id,
                  "encoded_claims": f"{header}.{payload}.{b64url(signature)}", "host_id": host_id}
    open(out, "wb").write(msgpack.packb(invocation, use_bin_type=True))


def verify(path, trusted):
    invocation = msgpack.unpackb(open(path, "rb").read(), raw=False)
    header, payload, signature = invocation["encoded_claims"].split(".")
    claims = json.loads(unb64url(payload))
    if claims["iss"] != trusted:
        sys.exit(f"issuer {claims['iss']} is not the trusted {trusted}")
    try:
        nacl.signing.VerifyKey(nk.decode_public_key(claims["iss"])).verify(
            f"{header}.{payload}".encode(), unb64url(signature))
    except nacl.exceptions.BadSignatureError:
        sys.exit("claims signature does not verify")
    computed = invocation_hash(invocation["origin"], invocation["target"], invocation["operation"], invocation["msg"])
    if claims["wascap"]["hash"] != computed:
        sys.exit(f"hash mismatch {claims['wascap']['hash']} / {computed}")
    if claims["wascap"]["target_url"] != url(invocation["target"]) + "/" + invocation["operation"]:
        sys.exit("target URL mismatch")
    if claims["wascap"]["origin_url"] != url(invocation["origin"]):
        sys.exit("origin URL mismatch")
    if claims["sub"] != invocation["id"]:
        sys.exit("sub is not the invocation id")
    print("invocation verifies")


if __name__ == "__main__":
    if sys.argv[1] == "sign":
        sign(*sys.argv[2:9])
    else:
        verify(sys.argv[2], sys.argv[3])
