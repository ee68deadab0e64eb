#define _GNU_SOURCE
#include "seccomp_shims.h"

#include <errno.h>
#include <stddef.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

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
