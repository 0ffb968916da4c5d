#define _GNU_SOURCE
#include "lattice_system.h"

#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int lattice_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

int lattice_accept_cloexec(int fd) { return accept4(fd, NULL, NULL, SOCK_CLOEXEC); }

int lattice_set_parent_death_signal(int signal) { return prctl(PR_SET_PDEATHSIG, signal, 0, 0, 0); }

int lattice_become_child_subreaper(void) { return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); }

/* The child's way out: the errno of the failed step goes to the parent through the report pipe. */
static void lattice_child_fail(int report, int error) {
    ssize_t written;
    do {
        written = write(report, &error, sizeof error);
    } while (written < 0 && errno == EINTR);
    _exit(127);
}

/* Closes every descriptor from `low` to `high` inclusive; close_range when the kernel has it. */
static void lattice_close_between(unsigned int low, unsigned int high) {
    if (low > high) return;
#ifdef SYS_close_range
    if (syscall(SYS_close_range, low, high, 0) == 0) return;
#endif
    struct rlimit limit;
    unsigned int end = high;
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur - 1 < end) {
        end = (unsigned int)(limit.rlim_cur - 1);
    }
    for (unsigned int fd = low; fd <= end; fd++) close((int)fd);
}

/* Runs in the forked child: async-signal-safe calls only, since other threads of the parent may have held
   any lock (malloc's included) at the moment of the fork. */
static void lattice_child(const struct lattice_spawn_plan *plan, pid_t parent, int report) {
    /* Every disposition back to the default while all signals are still blocked (the parent blocked them
       around fork), so no handler of the parent ever runs here. */
    struct sigaction fallback;
    memset(&fallback, 0, sizeof fallback);
    fallback.sa_handler = SIG_DFL;
    for (int signal = 1; signal < NSIG; signal++) {
        if (signal != SIGKILL && signal != SIGSTOP) sigaction(signal, &fallback, NULL);
    }

    if (plan->new_session) {
        if (setsid() < 0) lattice_child_fail(report, errno);
    } else if (plan->new_process_group) {
        if (setpgid(0, 0) < 0) lattice_child_fail(report, errno);
    }
    if (plan->parent_death_signal > 0) {
        if (prctl(PR_SET_PDEATHSIG, plan->parent_death_signal, 0, 0, 0) < 0) lattice_child_fail(report, errno);
        /* The parent may have died before the signal was armed: then nothing would ever send it. */
        if (getppid() != parent) _exit(127);
    }

    /* Lift the report pipe and every source out of 0..2 first, so installing one stream cannot overwrite another. */
    if (report < 3) {
        int moved = fcntl(report, F_DUPFD_CLOEXEC, 3);
        if (moved < 0) _exit(127);
        report = moved;
    }
    int sources[3];
    for (int target = 0; target < 3; target++) {
        sources[target] = plan->stdio[target];
        if (sources[target] < 3) {
            int moved = fcntl(sources[target], F_DUPFD_CLOEXEC, 3);
            if (moved < 0) lattice_child_fail(report, errno);
            sources[target] = moved;
        }
    }
    for (int target = 0; target < 3; target++) {
        if (dup2(sources[target], target) < 0) lattice_child_fail(report, errno);
    }
    /* Nothing of the host's leaks into the child but its three streams (the report pipe closes on exec). */
    lattice_close_between(3, (unsigned int)report - 1);
    lattice_close_between((unsigned int)report + 1, ~0U);

    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execve(plan->path, plan->argv, plan->envp);
    lattice_child_fail(report, errno);
}

pid_t lattice_spawn(const struct lattice_spawn_plan *plan) {
    int report[2];
    if (pipe2(report, O_CLOEXEC) != 0) return -1;
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) lattice_child(plan, parent, report[1]);
    int forkError = errno;
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    close(report[1]);
    if (pid < 0) {
        close(report[0]);
        errno = forkError;
        return -1;
    }
    /* End of file: the child exec'd (the pipe closed on exec). Four bytes: the errno of its failed step. */
    int childError = 0;
    ssize_t count;
    do {
        count = read(report[0], &childError, sizeof childError);
    } while (count < 0 && errno == EINTR);
    close(report[0]);
    if (count == 0) return pid;
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    errno = count == (ssize_t)sizeof childError && childError != 0 ? childError : ECHILD;
    return -1;
}

int lattice_wait_exited(pid_t pid, int nohang) {
    siginfo_t info;
    for (;;) {
        memset(&info, 0, sizeof info);
        if (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT | (nohang ? WNOHANG : 0)) == 0) break;
        if (errno != EINTR) return -1;
    }
    return info.si_pid == pid ? 1 : 0;
}

struct lattice_code_range {
    uintptr_t start;
    size_t length;
};

/* dl_iterate_phdr names the main executable first; its code segment is the one loaded with PF_X. */
static int lattice_find_code(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    struct lattice_code_range *range = data;
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    for (ElfW(Half) index = 0; index < info->dlpi_phnum; index++) {
        const ElfW(Phdr) *header = &info->dlpi_phdr[index];
        if (header->p_type != PT_LOAD || !(header->p_flags & PF_X)) continue;
        uintptr_t first = (info->dlpi_addr + header->p_vaddr + page - 1) & ~(page - 1);
        uintptr_t end = (info->dlpi_addr + header->p_vaddr + header->p_memsz) & ~(page - 1);
        if (end > first) {
            range->start = first;
            range->length = end - first;
        }
        break;
    }
    return 1;
}

int lattice_executable_code(uintptr_t *start, size_t *length) {
    struct lattice_code_range range = {0, 0};
    dl_iterate_phdr(lattice_find_code, &range);
    if (range.length == 0) {
        errno = ENOENT;
        return -1;
    }
    *start = range.start;
    *length = range.length;
    return 0;
}
