/* waPC guest side for example actors: host imports, a bump allocator and a little MessagePack.
   No libc: built with clang --target=wasm32 -nostdlib. */
#ifndef LATTICE_WAPC_H
#define LATTICE_WAPC_H

typedef unsigned int u32;
typedef unsigned char u8;

#define WAPC_IMPORT(name) __attribute__((import_module("wapc"), import_name(#name)))
WAPC_IMPORT(__guest_request) void __guest_request(u8 *op, u8 *msg);
WAPC_IMPORT(__guest_response) void __guest_response(const u8 *ptr, u32 len);
WAPC_IMPORT(__guest_error) void __guest_error(const u8 *ptr, u32 len);
WAPC_IMPORT(__host_call) u32 __host_call(const u8 *bd, u32 bd_len, const u8 *ns, u32 ns_len, const u8 *op,
                                          u32 op_len, const u8 *ptr, u32 len);
WAPC_IMPORT(__host_response_len) u32 __host_response_len(void);
WAPC_IMPORT(__host_response) void __host_response(u8 *ptr);
WAPC_IMPORT(__host_error_len) u32 __host_error_len(void);
WAPC_IMPORT(__host_error) void __host_error(u8 *ptr);
WAPC_IMPORT(__console_log) void __console_log(const u8 *ptr, u32 len);

extern u8 __heap_base;
static u32 heap_top;

/* Bump allocation from the heap, growing linear memory as needed; reset per call. */
static u8 *alloc(u32 size) {
    if (heap_top == 0) heap_top = (u32)&__heap_base;
    u32 start = (heap_top + 7u) & ~7u;
    u32 end = start + size;
    u32 have = __builtin_wasm_memory_size(0) * 65536u;
    if (end > have) {
        if (__builtin_wasm_memory_grow(0, (end - have + 65535u) / 65536u) == (u32)-1) __builtin_trap();
    }
    heap_top = end;
    return (u8 *)start;
}

static void reset_heap(void) { heap_top = 0; }

static u32 str_len(const char *s) {
    u32 n = 0;
    while (s[n]) n++;
    return n;
}

static int bytes_equal(const u8 *a, const char *b, u32 len) {
    for (u32 i = 0; i < len; i++) if (a[i] != (u8)b[i]) return 0;
    return b[len] == 0;
}

static void copy(u8 *to, const u8 *from, u32 len) {
    for (u32 i = 0; i < len; i++) to[i] = from[i];
}

/* --- MessagePack: just enough to read a map's string field and to write a response --- */

/* Reads a str header at *p; returns its length and advances *p to the bytes, or -1. */
static int mp_str(const u8 **p, const u8 *end) {
    const u8 *q = *p;
    if (q >= end) return -1;
    u32 len;
    if ((*q & 0xe0) == 0xa0) { len = *q & 0x1f; q += 1; }
    else if (*q == 0xd9 && q + 2 <= end) { len = q[1]; q += 2; }
    else if (*q == 0xda && q + 3 <= end) { len = (u32)q[1] << 8 | q[2]; q += 3; }
    else if ((*q == 0xc4) && q + 2 <= end) { len = q[1]; q += 2; }
    else if ((*q == 0xc5) && q + 3 <= end) { len = (u32)q[1] << 8 | q[2]; q += 3; }
    else return -1;
    if (q + len > end) return -1;
    *p = q;
    return (int)len;
}

/* Skips one value (strings, binaries, ints, maps and arrays of those). Returns 0 on failure. */
static int mp_skip(const u8 **p, const u8 *end, int depth) {
    const u8 *q = *p;
    if (q >= end || depth > 16) return 0;
    u8 b = *q;
    u32 count = 0, bytes = 0;
    if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3) { *p = q + 1; return 1; }
    if ((b & 0xe0) == 0xa0 || b == 0xd9 || b == 0xda || b == 0xc4 || b == 0xc5) {
        int len = mp_str(&q, end);
        if (len < 0) return 0;
        *p = q + len;
        return 1;
    }
    if (b == 0xcc || b == 0xd0) bytes = 2; else if (b == 0xcd || b == 0xd1) bytes = 3;
    else if (b == 0xce || b == 0xd2 || b == 0xca) bytes = 5; else if (b == 0xcf || b == 0xd3 || b == 0xcb) bytes = 9;
    if (bytes) { if (q + bytes > end) return 0; *p = q + bytes; return 1; }
    if ((b & 0xf0) == 0x80) { count = (b & 0x0f) * 2; q += 1; }
    else if ((b & 0xf0) == 0x90) { count = b & 0x0f; q += 1; }
    else if (b == 0xde && q + 3 <= end) { count = ((u32)q[1] << 8 | q[2]) * 2; q += 3; }
    else if (b == 0xdc && q + 3 <= end) { count = (u32)q[1] << 8 | q[2]; q += 3; }
    else return 0;
    for (u32 i = 0; i < count; i++) if (!mp_skip(&q, end, depth + 1)) return 0;
    *p = q;
    return 1;
}

/* Finds string field `key` of the map at msg; sets *out and returns its length, or -1. */
static int mp_field(const u8 *msg, u32 len, const char *key, const u8 **out) {
    const u8 *p = msg, *end = msg + len;
    if (p >= end) return -1;
    u32 pairs;
    if ((*p & 0xf0) == 0x80) { pairs = *p & 0x0f; p += 1; }
    else if (*p == 0xde && p + 3 <= end) { pairs = (u32)p[1] << 8 | p[2]; p += 3; }
    else return -1;
    for (u32 i = 0; i < pairs; i++) {
        int klen = mp_str(&p, end);
        if (klen < 0) return -1;
        int match = bytes_equal(p, key, (u32)klen);
        p += klen;
        if (match) {
            const u8 *v = p;
            int vlen = mp_str(&v, end);
            if (vlen < 0) return -1;
            *out = v;
            return vlen;
        }
        if (!mp_skip(&p, end, 0)) return -1;
    }
    return -1;
}

static u8 *mp_put_str(u8 *o, const char *s) {
    u32 n = str_len(s);
    *o++ = (u8)(0xa0 | n);
    copy(o, (const u8 *)s, n);
    return o + n;
}

/* HttpResponse {statusCode, header: {}, body: bin}. */
static void respond_http(u32 status, const u8 *body, u32 body_len) {
    u8 *out = alloc(body_len + 64), *o = out;
    *o++ = 0x83;
    o = mp_put_str(o, "statusCode");
    *o++ = 0xcd; *o++ = (u8)(status >> 8); *o++ = (u8)status;
    o = mp_put_str(o, "header");
    *o++ = 0x80;
    o = mp_put_str(o, "body");
    *o++ = 0xc6;
    *o++ = (u8)(body_len >> 24); *o++ = (u8)(body_len >> 16); *o++ = (u8)(body_len >> 8); *o++ = (u8)body_len;
    copy(o, body, body_len);
    o += body_len;
    __guest_response(out, (u32)(o - out));
}

static void fail(const char *message) { __guest_error((const u8 *)message, str_len(message)); }

#define GUEST_CALL __attribute__((export_name("__guest_call"))) u32 __guest_call(u32 op_len, u32 msg_len)

/* Reads the operation and message into fresh heap memory. */
#define READ_REQUEST(op, msg)           \
    reset_heap();                       \
    u8 *op = alloc(op_len + 1);         \
    u8 *msg = alloc(msg_len + 1);       \
    __guest_request(op, msg);           \
    op[op_len] = 0;

#endif
