/* The seccomp(2) syscall, which glibc does not wrap, for the Security target. */
#ifndef SWIFTLET_SECCOMP_SHIMS_H
#define SWIFTLET_SECCOMP_SHIMS_H

#include <stdint.h>

/* Loads a classic BPF program (count instructions of 8 bytes each) with
 * SECCOMP_SET_MODE_FILTER. Returns the syscall's result (a listener fd when
 * SECCOMP_FILTER_FLAG_NEW_LISTENER is in flags, else 0), or -1 with errno set. */
int swiftlet_seccomp_set_filter(unsigned int flags, const void *program, unsigned short count);

/* 1 when the running kernel accepts these filter flags, 0 when it does not,
 * -1 with errno when the probe itself failed. Loads nothing. */
int swiftlet_seccomp_flags_supported(unsigned int flags);

/* 1 when the kernel knows this SECCOMP_RET_* action, 0 when not, -1 on error. */
int swiftlet_seccomp_action_available(uint32_t action);

/* An anonymous close-on-exec memory file (memfd) that libseccomp exports filters into. */
int swiftlet_seccomp_export_memfd(void);

/* openat2(2) for the Security target's writes to /proc/thread-self/attr (no glibc wrapper):
 * returns the fd, or -1 with errno (ENOSYS before Linux 5.6). */
int swiftlet_security_openat2(int dirfd, const char *path, uint64_t flags, uint64_t resolve);
#define SWIFTLET_RESOLVE_NO_XDEV 0x01
#define SWIFTLET_RESOLVE_NO_MAGICLINKS 0x02
#define SWIFTLET_RESOLVE_BENEATH 0x08

/* open(path, O_PATH|O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC): O_PATH needs _GNU_SOURCE. */
int swiftlet_security_open_directory_path(const char *path);

/* fstatfs/statfs, which Swift's Glibc module lacks: stores f_type and f_flags, returns 0 or
 * -1 with errno. */
int swiftlet_security_fstatfs(int fd, long *type, unsigned long *flags);
int swiftlet_security_statfs(const char *path, long *type, unsigned long *flags);
#define SWIFTLET_ST_RDONLY 1

/* The filter flag bits, spelled out so they exist whatever the kernel headers' age. */
#define SWIFTLET_SECCOMP_FILTER_FLAG_TSYNC (1u << 0)
#define SWIFTLET_SECCOMP_FILTER_FLAG_LOG (1u << 1)
#define SWIFTLET_SECCOMP_FILTER_FLAG_SPEC_ALLOW (1u << 2)
#define SWIFTLET_SECCOMP_FILTER_FLAG_NEW_LISTENER (1u << 3)
#define SWIFTLET_SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1u << 4)
#define SWIFTLET_SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1u << 5)

#endif
