#define _GNU_SOURCE
#include "cshims.h"
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int sl_prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5) {
    return prctl(option, a2, a3, a4, a5);
}
int sl_ioctl_int(int fd, unsigned long request, int *value) { return ioctl(fd, request, value); }
int sl_ioctl_ptr(int fd, unsigned long request, void *arg) { return ioctl(fd, request, arg); }
int sl_fcntl_int(int fd, int cmd, int arg) { return fcntl(fd, cmd, arg); }
int sl_memfd_create(const char *name, unsigned int flags) { return (int)syscall(SYS_memfd_create, name, flags); }
int sl_execveat(int dirfd, const char *path, char *const argv[], char *const envp[], int flags) {
    return (int)syscall(SYS_execveat, dirfd, path, argv, envp, flags);
}
int sl_pidfd_open(pid_t pid, unsigned int flags) { return (int)syscall(SYS_pidfd_open, pid, flags); }
int sl_pidfd_send_signal(int pidfd, int sig) { return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0); }
int sl_close_range(unsigned int first, unsigned int last, unsigned int flags) {
    return (int)syscall(SYS_close_range, first, last, flags);
}
int sl_setns(int fd, int nstype) { return setns(fd, nstype); }
int sl_rename_exchange(const char *a, const char *b) {
    return (int)syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, 2 /* RENAME_EXCHANGE */);
}
int sl_unshare(int flags) { return unshare(flags); }

pid_t sl_clone3(uint64_t flags, int exit_signal) {
    return sl_clone3_into_cgroup(flags, exit_signal, -1);
}

pid_t sl_clone3_into_cgroup(uint64_t flags, int exit_signal, int cgroup_fd) {
    struct clone_args args;
    memset(&args, 0, sizeof(args));
    args.flags = flags;
    args.exit_signal = (uint64_t)exit_signal;
    if (cgroup_fd >= 0) {
        args.flags |= CLONE_INTO_CGROUP;
        args.cgroup = (uint64_t)cgroup_fd;
    }
    return (pid_t)syscall(SYS_clone3, &args, sizeof(args));
}

/* The childPid frame of the sync protocol (SyncChannel): length 4, the kind, the pid, all
 * little-endian. Written by the exiting stage 1 from here: the only memory it touches. */
static unsigned char child_pid_frame[9];

/* sl_clone3_into_cgroup with CLONE_VM: the child (the container's init) goes on in our memory
 * and on our stack, so nothing is copied and it takes no copy-on-write fault on any page we
 * touched; we, in the same instant, only write the childPid frame to sync_fd and exit, in
 * assembly, using no stack and no libc. Returns 0 in the child; in the caller only on failure
 * (-1, errno set). Not with a time namespace pending for the children (the kernel refuses
 * CLONE_VM then) and not from a multi-threaded process. */
pid_t sl_clone3_shared_then_exit(uint64_t flags, int cgroup_fd, int sync_fd, unsigned char child_pid_kind) {
    static struct clone_args args;
    memset(&args, 0, sizeof(args));
    args.flags = flags | CLONE_VM;
    if (cgroup_fd >= 0) {
        args.flags |= CLONE_INTO_CGROUP;
        args.cgroup = (uint64_t)cgroup_fd;
    }
    child_pid_frame[0] = 4;
    child_pid_frame[1] = child_pid_frame[2] = child_pid_frame[3] = 0;
    child_pid_frame[4] = child_pid_kind;
    /* No signal handler may run on the shared stack while both of us are on it. */
    sigset_t all, old;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, &old);
    long ret;
    register unsigned char *frame __asm__("r8") = child_pid_frame;
    register long fd __asm__("r9") = sync_fd;
    void *argp = &args;
    unsigned long size = sizeof(args);
    __asm__ volatile(
        "syscall\n\t"
        "testq %%rax, %%rax\n\t"
        "jle 1f\n\t"
        /* Stage 1: pid into the frame, write it, drop the tid pointer into memory we share
         * (the kernel zeroes it at exit), exit. */
        "movl %%eax, 5(%%r8)\n\t"
        "movq %%r9, %%rdi\n\t"
        "movq %%r8, %%rsi\n\t"
        "movl $9, %%edx\n\t"
        "movl $1, %%eax\n\t"        /* write */
        "syscall\n\t"
        "xorl %%edi, %%edi\n\t"
        "movl $218, %%eax\n\t"      /* set_tid_address(NULL) */
        "syscall\n\t"
        "xorl %%edi, %%edi\n\t"
        "movl $231, %%eax\n\t"      /* exit_group(0) */
        "syscall\n\t"
        "1:\n\t"
        : "=a"(ret), "+D"(argp), "+S"(size)
        : "a"((long)SYS_clone3), "r"(frame), "r"(fd)
        : "rcx", "r11", "rdx", "memory");
    sigprocmask(SIG_SETMASK, &old, NULL);
    if (ret < 0) {
        errno = (int)-ret;
        return -1;
    }
    return 0;
}

struct spawn_fd_args {
    int exe_fd;
    char *const *argv;
    char *const *envp;
    const int *fds;
    int nfds;
};

/* The child of sl_spawn_fd, on a stack of its own in the parent's memory. It must only make
 * system calls and then exec or _exit: it shares the parent's memory until then. */
static int spawn_fd_child(void *p) {
    const struct spawn_fd_args *a = p;
    /* Lift every source (and the executable) above the target range first, so no dup2
     * clobbers a source still to be moved; then lay them out at 3, 4, ... and close the rest.
     * The executable goes right after the targets, close-on-exec, so it does not leak. */
    int base = 3 + a->nfds + 1;
    int exe = fcntl(a->exe_fd, F_DUPFD, base);
    if (exe < 0) _exit(127);
    int lifted[256];
    for (int i = 0; i < a->nfds; i++) {
        lifted[i] = fcntl(a->fds[i], F_DUPFD, base);
        if (lifted[i] < 0) _exit(127);
    }
    for (int i = 0; i < a->nfds; i++) {
        if (dup2(lifted[i], 3 + i) < 0) _exit(127);
    }
    int exe_slot = 3 + a->nfds;
    if (dup2(exe, exe_slot) < 0) _exit(127);
    fcntl(exe_slot, F_SETFD, FD_CLOEXEC);
    syscall(SYS_close_range, exe_slot + 1, ~0U, 0);
    signal(SIGPIPE, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    syscall(SYS_execveat, exe_slot, "", a->argv, a->envp, AT_EMPTY_PATH);
    _exit(127);
}

/* posix_spawn's way rather than fork's: the child borrows our memory (CLONE_VM) and we wait
 * (CLONE_VFORK) until it has exec'd. A fork copied every page table of ours only for exec to
 * drop them, and write-protected all our memory, so each page we wrote afterwards took a
 * fault. Every signal stays blocked from before the clone until the child's last step: none
 * can reach the child while it runs on our memory (swiftlet installs no handlers anyway, so
 * one could only take its default action). */
pid_t sl_spawn_fd(int exe_fd, char *const argv[], char *const envp[], const int *fds, int nfds) {
    if (nfds > 256) { errno = EINVAL; return -1; }
    struct spawn_fd_args args = { exe_fd, argv, envp, fds, nfds };
    sigset_t all, old;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, &old);
    /* The child's stack: ours is idle while CLONE_VFORK holds us. 32 KiB covers lifted[] and
     * the libc calls with room to spare. */
    static_assert(sizeof(int) * 256 < 8192, "lifted[] fits the child's stack");
    char stack[32768] __attribute__((aligned(16)));
    pid_t pid = clone(spawn_fd_child, stack + sizeof(stack), CLONE_VM | CLONE_VFORK | SIGCHLD, &args);
    int saved = errno;
    sigprocmask(SIG_SETMASK, &old, NULL);
    errno = saved;
    return pid;
}

pid_t sl_spawn_path(const char *path, char *const argv[], char *const envp[],
                    int stdin_fd, int stdout_fd, int stderr_fd) {
    pid_t pid = fork();
    if (pid != 0) return pid;
    if (stdin_fd >= 0) { if (dup2(stdin_fd, 0) < 0) _exit(127); }
    else { int null = open("/dev/null", O_RDONLY); if (null >= 0) { dup2(null, 0); } }
    if (stdout_fd >= 0 && dup2(stdout_fd, 1) < 0) _exit(127);
    if (stderr_fd >= 0 && dup2(stderr_fd, 2) < 0) _exit(127);
    syscall(SYS_close_range, 3, ~0U, 0);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    execve(path, argv, envp);
    _exit(errno == ENOENT ? 127 : 126);
}

ssize_t sl_send_with_fd(int sock, const void *data, size_t len, int fd) {
    struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
    struct msghdr msg;
    memset(&msg, 0, sizeof(msg));
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    char control[CMSG_SPACE(sizeof(int))];
    if (fd >= 0) {
        memset(control, 0, sizeof(control));
        msg.msg_control = control;
        msg.msg_controllen = sizeof(control);
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof(int));
    }
    ssize_t r;
    do { r = sendmsg(sock, &msg, MSG_NOSIGNAL); } while (r < 0 && errno == EINTR);
    return r;
}

ssize_t sl_recv_with_fd(int sock, void *buf, size_t len, int *fd_out) {
    struct iovec iov = { .iov_base = buf, .iov_len = len };
    struct msghdr msg;
    memset(&msg, 0, sizeof(msg));
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    char control[CMSG_SPACE(sizeof(int) * 4)];
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    *fd_out = -1;
    ssize_t r;
    do { r = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC); } while (r < 0 && errno == EINTR);
    if (r < 0) return r;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            int count = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
            int fds[4];
            memcpy(fds, CMSG_DATA(c), sizeof(int) * (count > 4 ? 4 : count));
            for (int i = 0; i < count && i < 4; i++) {
                if (*fd_out < 0) *fd_out = fds[i]; else close(fds[i]);
            }
        }
    }
    return r;
}

int sl_wifexited(int status) { return WIFEXITED(status); }
int sl_wexitstatus(int status) { return WEXITSTATUS(status); }
int sl_wifsignaled(int status) { return WIFSIGNALED(status); }
int sl_wtermsig(int status) { return WTERMSIG(status); }

int sl_sigprocmask_all(int how) {
    sigset_t all;
    sigfillset(&all);
    return sigprocmask(how, &all, NULL);
}
int sl_sigset_fill_block(sigset_t *old) {
    sigset_t all;
    sigfillset(&all);
    return sigprocmask(SIG_BLOCK, &all, old);
}

int sl_setresuid(uid_t r, uid_t e, uid_t s) { return setresuid(r, e, s); }
int sl_setresgid(gid_t r, gid_t e, gid_t s) { return setresgid(r, e, s); }

#ifndef SWIFTLET_COMMIT
#define SWIFTLET_COMMIT "unknown"
#endif
const char *sl_build_commit(void) { return SWIFTLET_COMMIT; }

#include <sys/signalfd.h>
#include <termios.h>
int sl_signalfd_all_blocked(void) {
    sigset_t all;
    sigfillset(&all);
    if (sigprocmask(SIG_BLOCK, &all, NULL) != 0) return -1;
    return signalfd(-1, &all, SFD_CLOEXEC | SFD_NONBLOCK);
}
int sl_signalfd_read(int fd) {
    struct signalfd_siginfo info;
    ssize_t n = read(fd, &info, sizeof(info));
    if (n != (ssize_t)sizeof(info)) return -1;
    return (int)info.ssi_signo;
}
int sl_unblock_all_signals(void) {
    sigset_t none;
    sigemptyset(&none);
    return sigprocmask(SIG_SETMASK, &none, NULL);
}
int sl_set_raw(int fd, struct termios *saved) {
    if (tcgetattr(fd, saved) != 0) return -1;
    struct termios raw = *saved;
    cfmakeraw(&raw);
    return tcsetattr(fd, TCSANOW, &raw);
}
int sl_restore_termios(int fd, const struct termios *saved) { return tcsetattr(fd, TCSANOW, saved); }

#include <sys/vfs.h>
#include <stdlib.h>
int sl_pipe2(int fds[2], int flags) { return pipe2(fds, flags); }
int sl_o_path(void) { return O_PATH; }
long sl_fstatfs_type(int fd) {
    struct statfs fs;
    if (fstatfs(fd, &fs) != 0) return -1;
    return (long)fs.f_type;
}
int sl_pty_unlock(int master) { int zero = 0; return ioctl(master, TIOCSPTLCK, &zero); }
/* The slave of a pty master, opened through the master (TIOCGPTPEER, Linux 4.13) rather than by
 * its /dev/pts path. */
int sl_pty_peer(int master, int flags) { return ioctl(master, TIOCGPTPEER, flags); }
int sl_pty_number(int master) {
    unsigned int n = 0;
    if (ioctl(master, TIOCGPTN, &n) != 0) return -1;
    return (int)n;
}

#include <linux/mount.h>
int sl_overlay_open_readonly(const char *lowerdirs, const char *name) {
    int ctx = (int)syscall(SYS_fsopen, "overlay", FSOPEN_CLOEXEC);
    if (ctx < 0) return -1;
    int fd = -1, mnt = -1, saved = 0;
    if (syscall(SYS_fsconfig, ctx, FSCONFIG_SET_STRING, "lowerdir", lowerdirs, 0) < 0) goto out;
    /* xino needs nothing we want; failing to set it is harmless. */
    syscall(SYS_fsconfig, ctx, FSCONFIG_SET_STRING, "xino", "off", 0);
    if (syscall(SYS_fsconfig, ctx, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) goto out;
    mnt = (int)syscall(SYS_fsmount, ctx, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID);
    if (mnt < 0) goto out;
    fd = openat(mnt, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
out:
    saved = errno;
    if (mnt >= 0) close(mnt);
    close(ctx);
    errno = saved;
    return fd;
}
