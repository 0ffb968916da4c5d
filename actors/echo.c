/* echo: returns its input unchanged. Also, for the failure tests: "Trap" traps, "Loop" never ends,
   "Grow" exhausts linear memory. */
#include "wapc.h"

GUEST_CALL {
    READ_REQUEST(op, msg);
    if (bytes_equal(op, "Trap", op_len)) __builtin_trap();
    if (bytes_equal(op, "Loop", op_len)) {
        volatile u32 spin = 0;
        for (;;) spin++;
    }
    if (bytes_equal(op, "Grow", op_len)) {
        for (;;) alloc(16u << 20);
    }
    __guest_response(msg, msg_len);
    return 1;
}
