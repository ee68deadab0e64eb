#include "sched_shims.h"

#include <sys/personality.h>
#include <sys/syscall.h>
#include <unistd.h>

int sl_sched_setattr(pid_t pid, const struct sl_sched_attr *attr, unsigned int flags) {
    return (int)syscall(SYS_sched_setattr, pid, attr, flags);
}

int sl_sched_getattr(pid_t pid, struct sl_sched_attr *attr, unsigned int size, unsigned int flags) {
    return (int)syscall(SYS_sched_getattr, pid, attr, size, flags);
}

int sl_ioprio_set(int which, int who, int ioprio) {
    return (int)syscall(SYS_ioprio_set, which, who, ioprio);
}

int sl_ioprio_get(int which, int who) {
    return (int)syscall(SYS_ioprio_get, which, who);
}

/* The raw syscalls, not glibc's cpu_set_t wrappers: the mask may be any length. */
int sl_sched_setaffinity(pid_t pid, size_t size, const void *mask) {
    return (int)syscall(SYS_sched_setaffinity, pid, size, mask);
}

int sl_sched_getaffinity(pid_t pid, size_t size, void *mask) {
    return (int)syscall(SYS_sched_getaffinity, pid, size, mask);
}

int sl_personality(unsigned long persona) {
    return personality(persona);
}

long sl_set_mempolicy(int mode, const unsigned long *nodemask, unsigned long maxnode) {
    return syscall(SYS_set_mempolicy, mode, nodemask, maxnode);
}

long sl_get_mempolicy(int *mode, unsigned long *nodemask, unsigned long maxnode, void *addr,
                      unsigned long flags) {
    return syscall(SYS_get_mempolicy, mode, nodemask, maxnode, addr, flags);
}
