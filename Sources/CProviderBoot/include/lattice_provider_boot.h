#ifndef LATTICE_PROVIDER_BOOT_H
#define LATTICE_PROVIDER_BOOT_H

/* The parent-death signal the process constructor armed on the main thread: SIGTERM, 0 (the
   test-only switch), or -1 when the process was not launched by a host. */
int lattice_provider_boot_parent_death_signal(void);

#endif
