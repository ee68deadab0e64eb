#include "cgroup_shims.h"

#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

int swiftlet_eventfd(unsigned int initval, int flags) {
    return eventfd(initval, flags);
}

long swiftlet_statfs_type(const char *path) {
    struct statfs info;
    if (statfs(path, &info) != 0) return -1;
    return (long)info.f_type;
}

long swiftlet_bpf(int cmd, void *attr, unsigned int size) {
    return syscall(SYS_bpf, cmd, attr, size);
}
