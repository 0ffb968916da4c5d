/* hello: answers HTTP with a body that names the request path. For the failure demos, the path
   /trap traps and /loop never ends (fuel metering stops it). */
#include "wapc.h"

GUEST_CALL {
    READ_REQUEST(op, msg);
    if (!bytes_equal(op, "HttpServer.HandleRequest", op_len)) {
        fail("hello handles only HttpServer.HandleRequest");
        return 0;
    }
    const u8 *path;
    int path_len = mp_field(msg, msg_len, "path", &path);
    if (path_len < 0) {
        fail("hello: request has no path");
        return 0;
    }
    if (bytes_equal(path, "/trap", (u32)path_len)) __builtin_trap();
    if (bytes_equal(path, "/loop", (u32)path_len)) {
        volatile u32 spin = 0;
        for (;;) spin++;
    }
    const char *greeting = "Hello from ";
    u32 g = str_len(greeting);
    u8 *body = alloc(g + (u32)path_len + 1);
    copy(body, (const u8 *)greeting, g);
    copy(body + g, path, (u32)path_len);
    body[g + path_len] = '\n';
    respond_http(200, body, g + (u32)path_len + 1);
    return 1;
}
