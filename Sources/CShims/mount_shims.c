#define _GNU_SOURCE
#include "mount_shims.h"

#include <errno.h>
#include <linux/openat2.h>
#include <fcntl.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif

/* struct mount_attr from linux/mount.h, spelled out: including that header next to
 * sys/mount.h redefines the MS_* enumerators on glibc 2.36. */
struct swiftlet_mount_attr {
    uint64_t attr_set;
    uint64_t attr_clr;
    uint64_t propagation;
    uint64_t userns_fd;
};

int swiftlet_openat2(int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve) {
    struct open_how how = { .flags = flags, .mode = mode, .resolve = resolve };
    return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

int swiftlet_pivot_root(const char *new_root, const char *put_old) {
    return (int)syscall(SYS_pivot_root, new_root, put_old);
}

int swiftlet_mount_setattr(int dirfd, const char *path, unsigned int flags,
                           uint64_t attr_set, uint64_t attr_clr, uint64_t propagation,
                           uint64_t userns_fd) {
    struct swiftlet_mount_attr attr = {
        .attr_set = attr_set, .attr_clr = attr_clr,
        .propagation = propagation, .userns_fd = userns_fd,
    };
    return (int)syscall(SYS_mount_setattr, dirfd, path, flags, &attr, sizeof(attr));
}

int swiftlet_dup3(int oldfd, int newfd, int flags) { return dup3(oldfd, newfd, flags); }

int swiftlet_statfs(const char *path, int64_t *type, uint64_t *flags) {
    struct statfs st;
    if (statfs(path, &st) != 0) return -1;
    *type = (int64_t)st.f_type;
    *flags = (uint64_t)st.f_flags;
    return 0;
}

