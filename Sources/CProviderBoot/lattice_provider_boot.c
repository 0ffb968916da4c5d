#define _GNU_SOURCE
#include "lattice_provider_boot.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

/* Linux keeps the parent-death signal per thread, and a host starts providers with SIGKILL armed
   on the main thread. Swift code never runs on the main thread once it awaits, so the setting is
   replaced here, before main(), while the main thread is the only thread. */
static int armed = -1;

__attribute__((constructor)) static void lattice_provider_boot(void) {
    if (getenv("LATTICE_HOST_PID") == NULL) return;
    const char *off = getenv("LATTICE_PROVIDER_TEST_NO_SELF_TERMINATION");
    armed = (off != NULL && strcmp(off, "1") == 0) ? 0 : SIGTERM;
    prctl(PR_SET_PDEATHSIG, armed, 0, 0, 0);
}

int lattice_provider_boot_parent_death_signal(void) { return armed; }
