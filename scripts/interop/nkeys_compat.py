"""Independent nkeys helpers for the interop checks: PyPI `nkeys` where it covers a key kind,
Python's own base32 plus nkeys' CRC16 for the kinds it does not (module M, service V)."""
import base64

import nacl.signing
import nkeys

PREFIXES = {
    "account": 0, "cluster": 16, "module": 96, "server": 104,
    "operator": 112, "user": 160, "service": 168,
}
NKEYS_NATIVE = {0, 16, 104, 112, 160}


def _b32(data: bytes) -> str:
    return base64.b32encode(data).decode().rstrip("=")


def _unb32(text: str) -> bytes:
    return base64.b32decode(text + "=" * (-len(text) % 8))


def encode_seed(raw_seed: bytes, prefix: int) -> str:
    if prefix in NKEYS_NATIVE:
        return nkeys.encode_seed(raw_seed, prefix).decode()
    body = bytes([nkeys.PREFIX_BYTE_SEED | prefix >> 5, (prefix & 31) << 3]) + raw_seed
    crc = nkeys.crc16(bytearray(body))
    return _b32(body + bytes([crc & 0xFF, crc >> 8]))


def public_key_from_seed(seed: str) -> str:
    raw = _unb32(seed)
    prefix = (raw[0] & 7) << 5 | (raw[1] & 0xF8) >> 3
    if prefix in NKEYS_NATIVE:
        return nkeys.from_seed(seed.encode()).public_key.decode()
    verify_key = nacl.signing.SigningKey(raw[2:34]).verify_key.encode()
    body = bytes([prefix]) + verify_key
    crc = nkeys.crc16(bytearray(body))
    return _b32(body + bytes([crc & 0xFF, crc >> 8]))


def decode_public_key(public_key: str) -> bytes:
    raw = _unb32(public_key)
    body, stored = raw[:-2], raw[-2] | raw[-1] << 8
    if nkeys.crc16(bytearray(body)) != stored:
        raise ValueError(f"bad checksum on {public_key}")
    return body[1:]


def raw_seed(seed: str) -> bytes:
    return _unb32(seed)[2:34]
