/* Mount-related syscalls glibc 2.36 has no (or no usable) wrapper for. Each returns -1 with
 * errno set on failure, like libc. */
#ifndef SWIFTLET_MOUNT_SHIMS_H
#define SWIFTLET_MOUNT_SHIMS_H

#include <stdint.h>

/* openat2(2): `resolve` takes RESOLVE_* flags (linux/openat2.h). */
int swiftlet_openat2(int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve);

/* pivot_root(2). */
int swiftlet_pivot_root(const char *new_root, const char *put_old);

/* mount_setattr(2) with a struct mount_attr built from its four fields. */
int swiftlet_mount_setattr(int dirfd, const char *path, unsigned int flags,
                           uint64_t attr_set, uint64_t attr_clr, uint64_t propagation,
                           uint64_t userns_fd);

/* dup3(2), which glibc declares only under _GNU_SOURCE. */
int swiftlet_dup3(int oldfd, int newfd, int flags);

/* statfs(2), reduced to the two fields setup uses. */
int swiftlet_statfs(const char *path, int64_t *type, uint64_t *flags);


#endif
