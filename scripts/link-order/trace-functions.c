/*
 * trace-functions: prints which functions of one binary a command runs, in the order first
 * run, across every process the command starts (ptrace). make-order.py turns that into the
 * linker's symbol ordering file, so the code a command really runs sits together and the
 * kernel's 64 KiB fault-around maps little else (bench/README.md).
 *
 *   trace-functions BINARY ENTRIES -- COMMAND [ARGS...]
 *
 * ENTRIES: a file of function entry addresses (hex, one a line) inside BINARY's text. Each
 * exec of BINARY (also from another path: init runs the same file from its sealed overlay, so
 * processes are matched by the file's first 64 KiB) gets a one-shot breakpoint at every entry;
 * a hit prints "ADDRESS ROLE", puts the byte back and lets the function run. ROLE says which
 * process ran it: cli (a command's own process), fork (a process it forked without exec) or
 * init (the re-exec'd `swiftlet init` and its forks). Each (address, role) prints once.
 *
 * It also finds the writable data the processes write: when a process of BINARY exits, or an
 * init-role one is about to exec the container's process, its writable segments are compared
 * with the file (zeros for .bss); at the end "W START END" prints each written range (8-byte
 * words, merged). make-order.py lists the data symbols there, so lld puts them together and a
 * process copies or zero-fills a few pages of .data and .bss instead of one page per object.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_PIDS 4194304
#define HEAD 65536
#define MAX_RW 8

/* What a task runs: not BINARY, or BINARY in one of the roles (breakpoints armed). */
enum { UNKNOWN = 0, OTHER = 1, CLI = 2, FORK = 3, INIT = 4, ROLES = 5 };
static const char *role_names[ROLES] = {"", "", "cli", "fork", "init"};
static unsigned char image[MAX_PIDS];
static uint64_t *entries;
static size_t n_entries;
static uint64_t low, high;          /* [lowest entry, highest entry] */
static unsigned char *original;     /* the binary's bytes for [low, high] */
static unsigned char *is_entry;     /* one byte per address in [low, high] */
static unsigned char *printed[ROLES];   /* per role: one byte per address in [low, high] */
static char head[HEAD];
static size_t head_len;

/* BINARY's writable PT_LOAD segments: address, size in memory, the file's bytes (filesz of
 * them, zeros after), and one byte per 8-byte word: written by some process. */
static struct { uint64_t vaddr, memsz; unsigned char *pristine; unsigned char *written; } rw[MAX_RW];
static int n_rw;

static void die(const char *what) { perror(what); exit(2); }

static size_t read_head(const char *path, char *buf) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    size_t n = 0;
    ssize_t r;
    while (n < HEAD && (r = read(fd, buf + n, HEAD - n)) > 0) n += (size_t)r;
    close(fd);
    return n;
}

static int same_binary(pid_t pid) {
    char path[64], buf[HEAD];
    snprintf(path, sizeof path, "/proc/%d/exe", pid);
    size_t n = read_head(path, buf);
    return n == head_len && memcmp(buf, head, n) == 0;
}

static int open_mem(pid_t pid) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/mem", pid);
    return open(path, O_RDWR | O_CLOEXEC);
}

/* `swiftlet init` or a command: the second word of its command line. */
static int role_of_exec(pid_t pid) {
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/%d/cmdline", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return CLI;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return CLI;
    buf[n] = 0;
    size_t first = strlen(buf);
    return (first + 1 < (size_t)n && strcmp(buf + first + 1, "init") == 0) ? INIT : CLI;
}

/* Breakpoints at every entry this role has not run yet: one write of the patched range. */
static void patch(pid_t pid, int role) {
    size_t len = high - low + 1;
    unsigned char *buf = malloc(len);
    if (!buf) die("malloc");
    memcpy(buf, original, len);
    for (size_t i = 0; i < n_entries; i++)
        if (!printed[role][entries[i] - low]) buf[entries[i] - low] = 0xcc;
    int fd = open_mem(pid);
    if (fd < 0 || pwrite(fd, buf, len, (off_t)low) != (ssize_t)len) die("patching /proc/PID/mem");
    close(fd);
    free(buf);
    image[pid] = (unsigned char)role;
}

/* A SIGTRAP in a patched process: ours if it stopped just past one of our entries. */
static int hit(pid_t pid, int role) {
    struct user_regs_struct regs;
    if (ptrace(PTRACE_GETREGS, pid, 0, &regs) != 0) return 0;
    uint64_t at = regs.rip - 1;
    if (at < low || at > high || !is_entry[at - low]) return 0;
    int fd = open_mem(pid);
    if (fd < 0 || pwrite(fd, &original[at - low], 1, (off_t)at) != 1) die("restoring a byte");
    close(fd);
    regs.rip = at;
    if (ptrace(PTRACE_SETREGS, pid, 0, &regs) != 0) die("PTRACE_SETREGS");
    if (!printed[role][at - low]) {
        printed[role][at - low] = 1;
        printf("%lx %s\n", (unsigned long)at, role_names[role]);
    }
    return 1;
}

/* Marks the words of the writable segments that differ from the file in `pid`'s memory. */
static void record_writes(pid_t pid) {
    int fd = open_mem(pid);
    if (fd < 0) return;
    for (int i = 0; i < n_rw; i++) {
        unsigned char *now = malloc(rw[i].memsz);
        if (!now) die("malloc");
        if (pread(fd, now, rw[i].memsz, (off_t)rw[i].vaddr) == (ssize_t)rw[i].memsz) {
            for (uint64_t w = 0; w * 8 < rw[i].memsz; w++) {
                uint64_t at = w * 8, len = rw[i].memsz - at < 8 ? rw[i].memsz - at : 8;
                if (memcmp(now + at, rw[i].pristine + at, len) != 0) rw[i].written[w] = 1;
            }
        }
        free(now);
    }
    close(fd);
}

static void print_writes(void) {
    for (int i = 0; i < n_rw; i++) {
        uint64_t words = (rw[i].memsz + 7) / 8;
        for (uint64_t w = 0; w < words; w++) {
            if (!rw[i].written[w]) continue;
            uint64_t end = w;
            while (end + 1 < words && rw[i].written[end + 1]) end++;
            printf("W %lx %lx\n", (unsigned long)(rw[i].vaddr + w * 8), (unsigned long)(rw[i].vaddr + end * 8 + 8));
            w = end;
        }
    }
}

static void load(const char *binary, const char *entries_path) {
    head_len = read_head(binary, head);
    if (head_len == 0) die(binary);
    FILE *f = fopen(entries_path, "r");
    if (!f) die(entries_path);
    size_t cap = 65536;
    entries = malloc(cap * sizeof *entries);
    unsigned long a;
    low = UINT64_MAX;
    while (fscanf(f, "%lx", &a) == 1) {
        if (n_entries == cap) entries = realloc(entries, (cap *= 2) * sizeof *entries);
        entries[n_entries++] = a;
        if (a < low) low = a;
        if (a > high) high = a;
    }
    fclose(f);
    if (n_entries == 0) { fprintf(stderr, "trace-functions: no entries\n"); exit(2); }
    size_t len = high - low + 1;
    original = malloc(len);
    is_entry = calloc(len, 1);
    for (int r = CLI; r < ROLES; r++)
        if (!(printed[r] = calloc(len, 1))) die("malloc");
    if (!original || !is_entry) die("malloc");
    /* Static, non-PIE: the running text is the file at the same addresses. */
    int fd = open(binary, O_RDONLY | O_CLOEXEC);
    if (fd < 0) die(binary);
    /* The text's file offset: find the PT_LOAD segment holding low. */
    unsigned char eh[64];
    if (pread(fd, eh, 64, 0) != 64) die("ELF header");
    uint64_t phoff; uint16_t phnum, phentsize;
    memcpy(&phoff, eh + 32, 8); memcpy(&phentsize, eh + 54, 2); memcpy(&phnum, eh + 56, 2);
    off_t off = -1;
    for (int i = 0; i < phnum; i++) {
        unsigned char ph[56];
        if (pread(fd, ph, 56, (off_t)(phoff + (uint64_t)i * phentsize)) != 56) die("program header");
        uint32_t type; uint64_t p_off, p_vaddr, p_filesz;
        memcpy(&type, ph, 4); memcpy(&p_off, ph + 8, 8); memcpy(&p_vaddr, ph + 16, 8);
        memcpy(&p_filesz, ph + 32, 8);
        if (type == 1 && low >= p_vaddr && high < p_vaddr + p_filesz) off = (off_t)(p_off + low - p_vaddr);
    }
    if (off < 0) { fprintf(stderr, "trace-functions: entries outside one loaded segment\n"); exit(2); }
    for (int i = 0; i < phnum && n_rw < MAX_RW; i++) {
        unsigned char ph[56];
        if (pread(fd, ph, 56, (off_t)(phoff + (uint64_t)i * phentsize)) != 56) die("program header");
        uint32_t type, flags; uint64_t p_off, p_vaddr, p_filesz, p_memsz;
        memcpy(&type, ph, 4); memcpy(&flags, ph + 4, 4); memcpy(&p_off, ph + 8, 8);
        memcpy(&p_vaddr, ph + 16, 8); memcpy(&p_filesz, ph + 32, 8); memcpy(&p_memsz, ph + 40, 8);
        if (type != 1 || !(flags & 2) || p_memsz == 0) continue;   /* PT_LOAD, PF_W */
        rw[n_rw].vaddr = p_vaddr;
        rw[n_rw].memsz = p_memsz;
        rw[n_rw].pristine = calloc(p_memsz, 1);
        rw[n_rw].written = calloc(p_memsz / 8 + 1, 1);
        if (!rw[n_rw].pristine || !rw[n_rw].written) die("malloc");
        if (pread(fd, rw[n_rw].pristine, p_filesz, (off_t)p_off) != (ssize_t)p_filesz) die("reading data");
        n_rw++;
    }
    if (pread(fd, original, len, off) != (ssize_t)len) die("reading the text");
    close(fd);
    for (size_t i = 0; i < n_entries; i++) is_entry[entries[i] - low] = 1;
}

int main(int argc, char **argv) {
    if (argc < 5 || strcmp(argv[3], "--") != 0) {
        fprintf(stderr, "usage: trace-functions BINARY ENTRIES -- COMMAND [ARGS...]\n");
        return 2;
    }
    load(argv[1], argv[2]);
    pid_t child = fork();
    if (child < 0) die("fork");
    if (child == 0) {
        ptrace(PTRACE_TRACEME, 0, 0, 0);
        raise(SIGSTOP);
        execvp(argv[4], argv + 4);
        perror(argv[4]);
        _exit(127);
    }
    int status;
    if (waitpid(child, &status, 0) != child || !WIFSTOPPED(status)) die("waitpid");
    long opts = PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE |
                PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL | PTRACE_O_TRACEEXIT | PTRACE_O_TRACESYSGOOD;
    if (ptrace(PTRACE_SETOPTIONS, child, 0, opts) != 0) die("PTRACE_SETOPTIONS");
    image[child] = OTHER;   /* until its exec */
    ptrace(PTRACE_CONT, child, 0, 0);

    int main_status = 0;
    for (;;) {
        pid_t pid = waitpid(-1, &status, __WALL);
        if (pid < 0) {
            if (errno == EINTR) continue;
            break;   /* ECHILD: every tracee has gone */
        }
        if (pid >= MAX_PIDS) { fprintf(stderr, "trace-functions: pid %d too large\n", pid); return 2; }
        if (WIFEXITED(status) || WIFSIGNALED(status)) {
            if (pid == child) main_status = status;
            image[pid] = UNKNOWN;
            continue;
        }
        if (!WIFSTOPPED(status)) continue;
        int sig = WSTOPSIG(status);
        int event = status >> 16;
        if (image[pid] == UNKNOWN)   /* a new task seen before its parent's fork event */
            image[pid] = same_binary(pid) ? FORK : OTHER;
        if (sig == (SIGTRAP | 0x80)) {
            /* A system call stop of an init-role task (those run under PTRACE_SYSCALL): its
             * memory goes when it execs the container's process. */
            struct user_regs_struct regs;
            if (ptrace(PTRACE_GETREGS, pid, 0, &regs) == 0 &&
                (regs.orig_rax == SYS_execve || regs.orig_rax == SYS_execveat))
                record_writes(pid);
            sig = 0;
        } else if (sig == SIGTRAP && event == PTRACE_EVENT_EXIT) {
            if (image[pid] >= CLI) record_writes(pid);
            sig = 0;
        } else if (sig == SIGTRAP && event == PTRACE_EVENT_EXEC) {
            if (same_binary(pid)) patch(pid, role_of_exec(pid)); else image[pid] = OTHER;
            sig = 0;
        } else if (sig == SIGTRAP && event != 0) {
            /* A fork gets its own copy of the text: a CLI's fork runs for itself. A vfork or a
             * thread shares its parent's, so it keeps the parent's role. */
            unsigned long child_pid = 0;
            ptrace(PTRACE_GETEVENTMSG, pid, 0, &child_pid);
            if (child_pid > 0 && child_pid < MAX_PIDS) {
                unsigned char r = image[pid];
                if (event == PTRACE_EVENT_FORK && r == CLI) r = FORK;
                image[child_pid] = r;
            }
            sig = 0;
        } else if (sig == SIGTRAP && image[pid] >= CLI && hit(pid, image[pid])) {
            sig = 0;
        } else if (sig == SIGSTOP && event == 0) {
            sig = 0;   /* the first stop of an auto-attached task */
        }
        ptrace(image[pid] == INIT ? PTRACE_SYSCALL : PTRACE_CONT, pid, 0, sig);
    }
    print_writes();
    fflush(stdout);
    if (WIFEXITED(main_status) && WEXITSTATUS(main_status) != 0) {
        fprintf(stderr, "trace-functions: command exited %d\n", WEXITSTATUS(main_status));
        return 1;
    }
    if (WIFSIGNALED(main_status)) {
        fprintf(stderr, "trace-functions: command killed by signal %d\n", WTERMSIG(main_status));
        return 1;
    }
    return 0;
}
