#!/usr/bin/env python3
"""Pushes a signed actor module to an OCI registry through the distribution API alone (python3 stdlib,
plain HTTP), with wasmCloud's media types, as another tool would: config blob, layer blob, manifest.

  oci_push.py REGISTRY_HOST:PORT REPOSITORY TAG MODULE.wasm     (prints the manifest digest)"""
import hashlib
import json
import sys
import urllib.error
import urllib.parse
import urllib.request

CONFIG_TYPE = "application/vnd.wasmcloud.actor.archive.config"
LAYER_TYPE = "application/vnd.module.wasm.content.layer.v1+wasm"
MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"


def request(method, url, data=None, headers=None):
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    with urllib.request.urlopen(req, timeout=30) as response:
        return response.status, dict(response.headers), response.read()


def push_blob(base, repository, data):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    status, headers, _ = request("POST", f"{base}/v2/{repository}/blobs/uploads/", data=b"")
    if status != 202:
        sys.exit(f"upload of {digest} not opened: {status}")
    location = urllib.parse.urljoin(base, headers["Location"])
    separator = "&" if "?" in location else "?"
    status, _, _ = request(
        "PUT", f"{location}{separator}digest={urllib.parse.quote(digest)}", data=data,
        headers={"Content-Type": "application/octet-stream"})
    if status != 201:
        sys.exit(f"blob {digest} not stored: {status}")
    return {"digest": digest, "size": len(data)}


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    registry, repository, tag, path = sys.argv[1:]
    base = f"http://{registry}"
    with open(path, "rb") as file:
        module = file.read()
    if not module.startswith(b"\0asm"):
        sys.exit(f"{path} is not a WebAssembly module")
    config = push_blob(base, repository, b"{}")
    layer = push_blob(base, repository, module)
    manifest = json.dumps({
        "schemaVersion": 2,
        "mediaType": MANIFEST_TYPE,
        "config": {"mediaType": CONFIG_TYPE, **config},
        "layers": [{"mediaType": LAYER_TYPE, **layer}],
    }).encode()
    status, _, _ = request(
        "PUT", f"{base}/v2/{repository}/manifests/{tag}", data=manifest, headers={"Content-Type": MANIFEST_TYPE})
    if status != 201:
        sys.exit(f"manifest not stored: {status}")
    print("sha256:" + hashlib.sha256(manifest).hexdigest())


if __name__ == "__main__":
    try:
        main()
    except urllib.error.HTTPError as error:
        sys.exit(f"registry {sys.argv[1]} answered {error.code} {error.reason} for {error.url}")
