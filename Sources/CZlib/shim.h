#ifndef LATTICE_CZLIB_SHIM_H
#define LATTICE_CZLIB_SHIM_H
#include <zlib.h>
#endif
