// The path and result copies of the metadata calls at the edges the Sentry's fast path
// treats apart: a path read with the notification only when it is short (under 255 bytes)
// and on one page, else by the handler; a stat or readlink result written with the answer.
// Paths of 254, 255 and 256 bytes; paths that end at, or cross, a page boundary (the next
// page mapped, PROT_NONE or unmapped); a path in a PROT_NONE page; NULL and wild pointers;
// result buffers that are read-only, PROT_NONE, cross into an unmapped page, or are NULL,
// with and without a timer pending in the Sentry (its answer takes another path then);
// bad modes, flags and sizes reported before a bad path (EINVAL, not EFAULT).
// usage: path_ahead SCRATCH
// covers: open, stat, lstat, access, readlink, openat, newfstatat, readlinkat, faccessat, statx, openat2, faccessat2, timer_create, timer_settime
// area: files
#include "probe.h"
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096

static char *area; /* three pages: rw, then whatever each case makes of the next two */

/* Every path call once, for the path at p (relative to the scratch directory). */
static void calls(const char *what, const char *p) {
    char line[160], buf[64];
    struct stat st;
    struct statx sx;
    struct open_how how = {.flags = O_RDONLY};
    long fd;
#define CALL(name) (snprintf(line, sizeof line, "%s: %s", what, name), line)
    fd = OK(CALL("open"), syscall(SYS_open, p, O_RDONLY));
    if (fd >= 0) close(fd);
    fd = OK(CALL("openat"), syscall(SYS_openat, AT_FDCWD, p, O_RDONLY));
    if (fd >= 0) close(fd);
    fd = OK(CALL("openat2"), syscall(SYS_openat2, AT_FDCWD, p, &how, sizeof how));
    if (fd >= 0) close(fd);
    SHOW(CALL("stat"), syscall(SYS_stat, p, &st));
    SHOW(CALL("lstat"), syscall(SYS_lstat, p, &st));
    SHOW(CALL("newfstatat"), syscall(SYS_newfstatat, AT_FDCWD, p, &st, AT_SYMLINK_NOFOLLOW));
    SHOW(CALL("statx"), syscall(SYS_statx, AT_FDCWD, p, 0, STATX_BASIC_STATS, &sx));
    SHOW(CALL("access"), syscall(SYS_access, p, R_OK));
    SHOW(CALL("faccessat"), syscall(SYS_faccessat, AT_FDCWD, p, R_OK));
    SHOW(CALL("faccessat2"), syscall(SYS_faccessat2, AT_FDCWD, p, R_OK, 0));
    SHOW(CALL("readlink"), syscall(SYS_readlink, p, buf, sizeof buf));
    SHOW(CALL("readlinkat"), syscall(SYS_readlinkat, AT_FDCWD, p, buf, sizeof buf));
#undef CALL
}

/* A name of n bytes in the scratch directory: "l" + 'x'... (a symlink to "f"). */
static void named(char *out, size_t n) {
    memset(out, 'x', n);
    out[0] = 'l';
    out[n] = 0;
}

/* Puts s so that its NUL is the last byte of the first page (end = 1) or so that it
 * crosses into the second page by `over` bytes; returns where it starts. */
static char *at_page_end(const char *s, size_t over) {
    size_t n = strlen(s) + 1;
    char *p = area + PAGE - n + over;
    memcpy(p, s, n);
    return p;
}

static void results(const char *when) {
    /* Result buffers: the copy-out made with the answer must fail as Linux's would. */
    printf("results, %s:\n", when);
    struct stat st;
    char *ro = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *none = mmap(NULL, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *two = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    mprotect(ro, PAGE, PROT_READ);
    munmap(two + PAGE, PAGE);
    char *edge = two + PAGE - 100; /* a struct stat (144 bytes) across into the hole */
    SHOW("stat into read-only", syscall(SYS_newfstatat, AT_FDCWD, "f", ro, 0));
    YESNO("read-only page untouched", ro[0] == 0);
    SHOW("stat into PROT_NONE", syscall(SYS_newfstatat, AT_FDCWD, "f", none, 0));
    SHOW("stat across into a hole", syscall(SYS_newfstatat, AT_FDCWD, "f", edge, 0));
    SHOW("stat into NULL", syscall(SYS_newfstatat, AT_FDCWD, "f", NULL, 0));
    SHOW("stat(2) into read-only", syscall(SYS_stat, "f", ro));
    SHOW("lstat(2) into PROT_NONE", syscall(SYS_lstat, "f", none));
    SHOW("statx into read-only", syscall(SYS_statx, AT_FDCWD, "f", 0, STATX_BASIC_STATS, ro));
    SHOW("readlink into read-only", syscall(SYS_readlink, "l", ro, 64));
    SHOW("readlinkat into PROT_NONE", syscall(SYS_readlinkat, AT_FDCWD, "l", none, 64));
    char *tail = two + PAGE - 1; /* the link's one-byte target fits on the mapped page */
    SHOW("readlink of 1 byte at a page's last byte", syscall(SYS_readlink, "l", tail, 64));
    printf("readlink's byte: %c\n", *tail);
    SHOW("readlink of 2 bytes across into a hole", syscall(SYS_readlink, "lk", tail, 64));
    SHOW("readlink size 0", syscall(SYS_readlink, "l", tail, 0));
    SHOW("stat into a good buffer", syscall(SYS_newfstatat, AT_FDCWD, "f", &st, 0));
    printf("size: %ld mode: %o\n", (long)st.st_size, st.st_mode & 07777);
    struct statx sx;
    SHOW("statx into a good buffer", syscall(SYS_statx, AT_FDCWD, "f", 0, STATX_SIZE, &sx));
    printf("statx size: %ld\n", (long)sx.stx_size);
    munmap(ro, PAGE);
    munmap(none, PAGE);
    munmap(two, PAGE);
}

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    SHOW("mkdir(scratch)", mkdir(argv[1], 0755));
    SHOW("chdir(scratch)", chdir(argv[1]));
    int fd = open("f", O_CREAT | O_WRONLY, 0640);
    SHOW("write", write(fd, "hello", 5));
    close(fd);
    SHOW("symlink l", symlink("f", "l"));
    SHOW("symlink lk", symlink("fk", "lk"));
    char name[300];
    for (size_t n = 253; n <= 256; n++) {
        named(name, n);
        SHOW("symlink (long name)", symlink("f", name));
    }

    area = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char what[64];
    /* Lengths around the 255 bytes the loop reads with the notification. */
    for (size_t n = 253; n <= 256; n++) {
        named(name, n);
        snprintf(what, sizeof what, "name of %zu", n);
        memcpy(area, name, n + 1);
        calls(what, area);
    }
    /* A relative path of 2 bytes and an absolute one. */
    calls("short", "l");
    calls("dot", ".");
    calls("empty", "");
    calls("missing", "nothing-here");
    calls("through a file", "f/x");

    /* At a page's end: ending on its last byte; crossing with the next page mapped. */
    calls("ends at page end", at_page_end("l", 0));
    calls("crosses into a mapped page", at_page_end("l", 1));
    named(name, 254);
    calls("long, crossing", at_page_end(name, 100));
    /* Crossing into a PROT_NONE page, and into an unmapped one (the string written
     * while the page was still there: its NUL, or nothing, is beyond reach). */
    for (int hole = 0; hole <= 1; hole++) {
        const char *kind = hole ? "a hole" : "PROT_NONE";
        for (size_t over = 0; over <= 1; over++) {
            mmap(area, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
                 -1, 0);
            char *p = at_page_end("l", over);
            if (hole) munmap(area + PAGE, PAGE);
            else mprotect(area + PAGE, PAGE, PROT_NONE);
            snprintf(what, sizeof what, "%s %s", over ? "crosses into" : "ends before", kind);
            calls(what, p);
        }
        snprintf(what, sizeof what, "in %s", kind);
        calls(what, area + PAGE + 10);
    }
    mmap(area, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    calls("NULL", NULL);
    calls("wild", (const char *)8);
    calls("kernel", (const char *)0xffffffffff600000UL);

    /* Changed between two calls from the same buffer: each call reads it afresh. */
    strcpy(area, "l");
    calls("before change", area);
    strcpy(area, "nothing-here");
    calls("after change", area);

    results("no timer");
    /* A timer pending (far off, no signal): the loop answers with a timeout then. */
    timer_t timer;
    struct sigevent sev = {.sigev_notify = SIGEV_NONE};
    struct itimerspec later = {.it_value = {.tv_sec = 100}};
    SHOW("timer_create", timer_create(CLOCK_MONOTONIC, &sev, &timer));
    SHOW("timer_settime", timer_settime(timer, 0, &later, NULL));
    results("a timer pending");

    /* What Linux checks before it reads the path. */
    char buf[8];
    SHOW("access(wild, bad mode)", syscall(SYS_access, (char *)8, 0xff));
    SHOW("faccessat(wild, bad mode)", syscall(SYS_faccessat, AT_FDCWD, (char *)8, 0xff));
    SHOW("faccessat2(wild, bad flags)", syscall(SYS_faccessat2, AT_FDCWD, (char *)8, R_OK, 0xffff));
    SHOW("faccessat2(wild, bad mode)", syscall(SYS_faccessat2, AT_FDCWD, (char *)8, 0xff, 0));
    SHOW("readlink(wild, size 0)", syscall(SYS_readlink, (char *)8, buf, 0));
    SHOW("readlinkat(wild, size -1)", syscall(SYS_readlinkat, AT_FDCWD, (char *)8, buf, -1));
    SHOW("access(missing, bad mode)", syscall(SYS_access, "nothing-here", 0xff));
    return 0;
}
