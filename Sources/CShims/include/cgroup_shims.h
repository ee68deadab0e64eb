/* Calls the cgroup code needs that Swift's Glibc module does not expose. Each returns -1
 * with errno set on failure, like libc. */
#ifndef SWIFTLET_CGROUP_SHIMS_H
#define SWIFTLET_CGROUP_SHIMS_H

/* eventfd(2); <sys/eventfd.h> is not part of Swift's Glibc module. */
int swiftlet_eventfd(unsigned int initval, int flags);

/* statfs(2)'s f_type for path. */
long swiftlet_statfs_type(const char *path);

/* bpf(2), which has no libc wrapper. */
long swiftlet_bpf(int cmd, void *attr, unsigned int size);

#endif
