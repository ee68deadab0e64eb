/* Scheduling, I/O priority, CPU affinity, personality and NUMA memory policy calls: raw
 * syscalls without a glibc wrapper (sched_setattr, ioprio_*, set_mempolicy) or with one the
 * Swift Glibc module does not import. Each returns -1 with errno set on failure, like libc. */
#ifndef SWIFTLET_SCHED_SHIMS_H
#define SWIFTLET_SCHED_SHIMS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* struct sched_attr of sched_setattr(2), SCHED_ATTR_SIZE_VER1 (56 bytes). */
struct sl_sched_attr {
    uint32_t size;
    uint32_t sched_policy;
    uint64_t sched_flags;
    int32_t sched_nice;
    uint32_t sched_priority;
    uint64_t sched_runtime;
    uint64_t sched_deadline;
    uint64_t sched_period;
    uint32_t sched_util_min;
    uint32_t sched_util_max;
};

int sl_sched_setattr(pid_t pid, const struct sl_sched_attr *attr, unsigned int flags);
int sl_sched_getattr(pid_t pid, struct sl_sched_attr *attr, unsigned int size, unsigned int flags);

int sl_ioprio_set(int which, int who, int ioprio);
int sl_ioprio_get(int which, int who);

/* mask is `size` bytes of CPU bits, lowest CPU in bit 0 of byte 0. */
int sl_sched_setaffinity(pid_t pid, size_t size, const void *mask);
int sl_sched_getaffinity(pid_t pid, size_t size, void *mask);

/* personality(2): returns the previous persona, or -1. 0xffffffff only queries. */
int sl_personality(unsigned long persona);

/* set_mempolicy(2); maxnode is the number of node bits in nodemask plus one, as the kernel
 * counts it. */
long sl_set_mempolicy(int mode, const unsigned long *nodemask, unsigned long maxnode);
long sl_get_mempolicy(int *mode, unsigned long *nodemask, unsigned long maxnode, void *addr,
                      unsigned long flags);

#endif
