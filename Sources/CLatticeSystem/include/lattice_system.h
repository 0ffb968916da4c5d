#ifndef LATTICE_SYSTEM_H
#define LATTICE_SYSTEM_H

#include <stdint.h>
#include <sys/types.h>

/* Linux calls Swift's Glibc module does not expose: GNU extensions, the variadic prctl, and a fork/exec
   whose child runs only async-signal-safe C. */

/* pipe2(fds, O_CLOEXEC); returns 0 or -1 with errno set. */
int lattice_pipe_cloexec(int fds[2]);

/* accept4(fd, NULL, NULL, SOCK_CLOEXEC). */
int lattice_accept_cloexec(int fd);

/* prctl(PR_SET_PDEATHSIG, signal): ask for `signal` when the parent thread dies. */
int lattice_set_parent_death_signal(int signal);

/* prctl(PR_SET_CHILD_SUBREAPER, 1): orphaned descendants are re-parented to this process, not to init. */
int lattice_become_child_subreaper(void);

/* Everything the child needs, prepared by the parent before fork: the child may not allocate. */
struct lattice_spawn_plan {
    const char *path;
    char *const *argv;
    char *const *envp;
    /* The parent's descriptors that become the child's 0, 1 and 2 (each must be open). */
    int stdio[3];
    /* setpgid(0, 0): the child leads a process group of its own. */
    int new_process_group;
    /* setsid(): the child leads a new session (and group), detached from the terminal. */
    int new_session;
    /* PR_SET_PDEATHSIG with this signal when > 0; the child exits at once if its parent is already gone. */
    int parent_death_signal;
};

/* Forks and execs `plan`. Returns the child's pid once it has exec'd, or -1 with errno set to why the child
   could not start (the errno of its failed step, execve included; the failed child is reaped). */
pid_t lattice_spawn(const struct lattice_spawn_plan *plan);

/* Whether `pid` (a child) has exited, without reaping it: 1 exited, 0 still running (only with `nohang`),
   -1 with errno. The zombie keeps its pid, and so its process group id, from being reused. */
int lattice_wait_exited(pid_t pid, int nohang);

/* The main executable's code segment (its PT_LOAD with PF_X), shrunk to whole pages: its first address and its
   length in bytes. Returns 0, or -1 when the program headers name no code segment. */
int lattice_executable_code(uintptr_t *start, size_t *length);

#endif
