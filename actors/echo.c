/* echo: returns its input unchanged. Also, for the failure tests: "Trap" traps, "Loop" never ends,
   "Grow" exhausts linear memory, "CallLoop" calls lattice:test's "Block" through __host_call forever (only the
   invocation's wall-clock deadline ends it: each call costs little fuel). */
#include "wapc.h"

GUEST_CALL {
    READ_REQUEST(op, msg);
    if (bytes_equal(op, "Trap", op_len)) __builtin_trap();
    if (bytes_equal(op, "Loop", op_len)) {
        volatile u32 spin = 0;
        for (;;) spin++;
    }
    if (bytes_equal(op, "CallLoop", op_len)) {
        const char *binding = "default", *ns = "lattice:test", *call = "Block";
        for (;;) __host_call((const u8 *)binding, str_len(binding), (const u8 *)ns, str_len(ns), (const u8 *)call,
                             str_len(call), msg, msg_len);
    }
    if (bytes_equal(op, "Grow", op_len)) {
        for (;;) alloc(16u << 20);
    }
    __guest_response(msg, msg_len);
    return 1;
}
