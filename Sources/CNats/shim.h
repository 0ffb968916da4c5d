#ifndef LATTICE_CNATS_SHIM_H
#define LATTICE_CNATS_SHIM_H
#include <nats/nats.h>

/// Frees a message in the calling thread. `natsMsg_Destroy` instead queues every message for cnats' garbage
/// collector thread and wakes it (a futex wake, then a context switch) whenever its queue was empty: once per
/// message at the rates of a lattice. Not declared in nats.h; libnats 3.4.1 exports it (msg.c), and it is what
/// `natsMsg_Destroy` calls when a message is not collected. Only for messages cnats delivered to a callback of a
/// core NATS subscription, which are the callback's to destroy: never one a JetStream auto-ack callback holds.
void natsMsg_free(void *object);
#endif
