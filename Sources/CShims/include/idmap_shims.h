/* The new mount API calls idmapped mounts need (open_tree(2), move_mount(2)); glibc 2.36
 * has no wrappers. Each returns -1 with errno set on failure, like libc. */
#ifndef SWIFTLET_IDMAP_SHIMS_H
#define SWIFTLET_IDMAP_SHIMS_H

int sl_open_tree(int dirfd, const char *path, unsigned int flags);
int sl_move_mount(int from_dirfd, const char *from_path, int to_dirfd, const char *to_path,
                  unsigned int flags);

#endif
