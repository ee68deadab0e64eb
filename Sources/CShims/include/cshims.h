/* C helpers for what Swift cannot call well: variadic calls, fork-and-exec without running
 * Swift in between, clone3, and SCM_RIGHTS messages. */
#ifndef SWIFTLET_CSHIMS_H
#define SWIFTLET_CSHIMS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <signal.h>

#include "seccomp_shims.h"
#include "mount_shims.h"
#include "cgroup_shims.h"
#include "sched_shims.h"
#include "idmap_shims.h"


/* process_shims.c */
int sl_prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5);
int sl_ioctl_int(int fd, unsigned long request, int *value);
int sl_ioctl_ptr(int fd, unsigned long request, void *arg);
int sl_fcntl_int(int fd, int cmd, int arg);
int sl_memfd_create(const char *name, unsigned int flags);
int sl_execveat(int dirfd, const char *path, char *const argv[], char *const envp[], int flags);
int sl_pidfd_open(pid_t pid, unsigned int flags);
int sl_pidfd_send_signal(int pidfd, int sig);
int sl_close_range(unsigned int first, unsigned int last, unsigned int flags);
int sl_setns(int fd, int nstype);
/* renameat2(2) with RENAME_EXCHANGE: swaps two existing paths atomically. */
int sl_rename_exchange(const char *a, const char *b);
int sl_unshare(int flags);
int sl_setresuid(uid_t r, uid_t e, uid_t s);
int sl_setresgid(gid_t r, gid_t e, gid_t s);

/* Like fork() with optional namespace flags and CLONE_PARENT, through clone3. Returns 0 in the
 * child, the child's pid in the caller, -1 on error (errno set). */
pid_t sl_clone3(uint64_t flags, int exit_signal);
/* sl_clone3 with CLONE_INTO_CGROUP when cgroup_fd >= 0: the child starts in that cgroup2
 * directory, with no migration (and so none of its global lock). */
pid_t sl_clone3_into_cgroup(uint64_t flags, int exit_signal, int cgroup_fd);
/* The container's init cloned into our memory (CLONE_VM) while the caller, stage 1, writes the
 * sync protocol's childPid frame (kind child_pid_kind) to sync_fd and exits at once. Returns 0
 * in the child, -1 (errno set) in the caller when the clone failed. */
pid_t sl_clone3_shared_then_exit(uint64_t flags, int cgroup_fd, int sync_fd, unsigned char child_pid_kind);

/* Forks; the child gets fds[i] as fd 3+i (fds 0-2 inherited), every other fd closed, and execs
 * exe_fd (execveat AT_EMPTY_PATH). Only async-signal-safe calls run in the child. Returns the
 * pid or -1. */
pid_t sl_spawn_fd(int exe_fd, char *const argv[], char *const envp[], const int *fds, int nfds);

/* Like sl_spawn_fd but execs a path (execve) with stdin from stdin_fd (-1: /dev/null) and
 * stdout/stderr as given (-1: inherit). Used for hooks. */
pid_t sl_spawn_path(const char *path, char *const argv[], char *const envp[],
                    int stdin_fd, int stdout_fd, int stderr_fd);

/* The git commit the binary was built from (-DSWIFTLET_COMMIT), or "unknown". */
const char *sl_build_commit(void);

/* SCM_RIGHTS: send `data` with up to 1 fd (fd < 0: none); receive into buf, *fd_out gets the fd or -1. */
ssize_t sl_send_with_fd(int sock, const void *data, size_t len, int fd);
ssize_t sl_recv_with_fd(int sock, void *buf, size_t len, int *fd_out);

int sl_wifexited(int status);
int sl_wexitstatus(int status);
int sl_wifsignaled(int status);
int sl_wtermsig(int status);

/* Signals: block/unblock all, and a signalfd-free wait with timeout. */
int sl_sigprocmask_all(int how);
int sl_sigset_fill_block(sigset_t *old);

/* Blocks every signal and returns a signalfd for them (close-on-exec, non-blocking). */
int sl_signalfd_all_blocked(void);
/* Reads one signal number from a signalfd, or -1. */
int sl_signalfd_read(int fd);
int sl_unblock_all_signals(void);
struct termios;
int sl_set_raw(int fd, struct termios *saved);
int sl_restore_termios(int fd, const struct termios *saved);

/* GNU extensions the Glibc module does not import. */
int sl_pipe2(int fds[2], int flags);
int sl_o_path(void);
/* statfs f_type of an open fd, or -1. */
long sl_fstatfs_type(int fd);
int sl_pty_unlock(int master);
/* The slave of a pty master as a new fd with `flags` (TIOCGPTPEER), or -1. */
int sl_pty_peer(int master, int flags);
/* The pts number of a pty master, or -1. */
int sl_pty_number(int master);

/* An O_PATH fd of `name` on a detached, read-only overlayfs mount of `lowerdirs` (never
 * attached anywhere): executing it leaves /proc/<pid>/exe pointing at a file nobody can
 * write. -1 with errno on failure. */
int sl_overlay_open_readonly(const char *lowerdirs, const char *name);

#endif
