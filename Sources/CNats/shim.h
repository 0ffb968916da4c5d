#ifndef LATTICE_CNATS_SHIM_H
#define LATTICE_CNATS_SHIM_H
#include <nats/nats.h>
#endif
