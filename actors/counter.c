/* counter: increments a key in the linked wasmcloud:keyvalue provider through __host_call and
   answers with the new count (as HTTP for HttpServer.HandleRequest, as text otherwise). */
#include "wapc.h"

static u32 utoa(u32 value, u8 *out) {
    u8 digits[10];
    u32 n = 0;
    do { digits[n++] = (u8)('0' + value % 10); value /= 10; } while (value);
    for (u32 i = 0; i < n; i++) out[i] = digits[n - 1 - i];
    return n;
}

GUEST_CALL {
    READ_REQUEST(op, msg);
    const char *key = "counter";
    /* KeyValue.Increment request: {"key": "counter", "value": 1} */
    u8 *request = alloc(32), *r = request;
    *r++ = 0x82;
    r = mp_put_str(r, "key");
    r = mp_put_str(r, key);
    r = mp_put_str(r, "value");
    *r++ = 0x01;
    const char *binding = "default", *ns = "wasmcloud:keyvalue", *kv_op = "KeyValue.Increment";
    if (!__host_call((const u8 *)binding, str_len(binding), (const u8 *)ns, str_len(ns), (const u8 *)kv_op,
                     str_len(kv_op), request, (u32)(r - request))) {
        u32 len = __host_error_len();
        u8 *error = alloc(len);
        __host_error(error);
        __guest_error(error, len);
        return 0;
    }
    u32 len = __host_response_len();
    u8 *reply = alloc(len + 1);
    __host_response(reply);
    u32 count = 0;
    if (len >= 1 && reply[0] <= 0x7f) count = reply[0];
    else if (len >= 2 && reply[0] == 0xcc) count = reply[1];
    else if (len >= 3 && reply[0] == 0xcd) count = (u32)reply[1] << 8 | reply[2];
    else if (len >= 5 && reply[0] == 0xce) count = (u32)reply[1] << 24 | (u32)reply[2] << 16 | (u32)reply[3] << 8 | reply[4];
    u8 *text = alloc(24);
    copy(text, (const u8 *)"count: ", 7);
    u32 n = 7 + utoa(count, text + 7);
    if (bytes_equal(op, "HttpServer.HandleRequest", op_len)) {
        text[n++] = '\n';
        respond_http(200, text, n);
    } else {
        __guest_response(text, n);
    }
    return 1;
}
