#ifndef LATTICE_SYSTEM_H
#define LATTICE_SYSTEM_H

#include <spawn.h>
#include <sys/types.h>

/* Linux calls Swift's Glibc module does not expose: GNU extensions and the variadic prctl. */

/* pipe2(fds, O_CLOEXEC); returns 0 or -1 with errno set. */
int lattice_pipe_cloexec(int fds[2]);

/* accept4(fd, NULL, NULL, SOCK_CLOEXEC). */
int lattice_accept_cloexec(int fd);

/* posix_spawn_file_actions_addclosefrom_np: the child closes every descriptor >= from. */
int lattice_spawn_closefrom(posix_spawn_file_actions_t *actions, int from);

/* prctl(PR_SET_PDEATHSIG, signal): ask for `signal` when the parent thread dies. */
int lattice_set_parent_death_signal(int signal);

#endif
