/* C helpers for what Swift cannot call well. */
#include "seccomp_shims.h"
#include "mount_shims.h"
#include "cgroup_shims.h"
