#define _GNU_SOURCE
#include "seccomp_shims.h"

#include <errno.h>
#include <stddef.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/openat2.h>

#ifndef SECCOMP_GET_ACTION_AVAIL
#define SECCOMP_GET_ACTION_AVAIL 2
#endif

int swiftlet_seccomp_set_filter(unsigned int flags, const void *program, unsigned short count)
{
    struct sock_fprog prog = {
        .len = count,
        .filter = (struct sock_filter *)program,
    };
    return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
}

int swiftlet_seccomp_flags_supported(unsigned int flags)
{
    /* The kernel validates the flags before it reads the program, so a NULL
     * program tells them apart: EFAULT means the flags passed validation. */
    long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, NULL);
    if (rc == 0)
        return 1; /* cannot happen with a NULL program, but means "accepted" */
    if (errno == EFAULT)
        return 1;
    if (errno == EINVAL)
        return 0;
    return -1;
}

int swiftlet_seccomp_action_available(uint32_t action)
{
    long rc = syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action);
    if (rc == 0)
        return 1;
    if (errno == EOPNOTSUPP)
        return 0;
    return -1;
}

int swiftlet_seccomp_export_memfd(void)
{
    return memfd_create("seccomp-export", MFD_CLOEXEC);
}

int swiftlet_security_openat2(int dirfd, const char *path, uint64_t flags, uint64_t resolve)
{
    struct open_how how = { .flags = flags, .mode = 0, .resolve = resolve };
    return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
}

int swiftlet_security_open_directory_path(const char *path)
{
    return open(path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

int swiftlet_security_fstatfs(int fd, long *type, unsigned long *flags)
{
    struct statfs info;
    if (fstatfs(fd, &info) != 0)
        return -1;
    *type = (long)info.f_type;
    *flags = (unsigned long)info.f_flags;
    return 0;
}

int swiftlet_security_statfs(const char *path, long *type, unsigned long *flags)
{
    struct statfs info;
    if (statfs(path, &info) != 0)
        return -1;
    *type = (long)info.f_type;
    *flags = (unsigned long)info.f_flags;
    return 0;
}
