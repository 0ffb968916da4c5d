#ifndef LATTICE_CLIBCRYPTO_SHIM_H
#define LATTICE_CLIBCRYPTO_SHIM_H
// OpenSSL's libcrypto, for SHA-256 only (LatticeCrypto's SHA256.swift is its one user). cnats already loads it in
// every process of ours; its SHA-256 uses the CPU's SHA extensions where there are some, about five times
// libsodium's portable one on an invocation's 466 bytes. Signing stays with libsodium.
#include <openssl/evp.h>
#endif
