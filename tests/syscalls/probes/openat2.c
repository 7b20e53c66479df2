// openat2: struct open_how checks and the RESOLVE_* scoping flags.
// covers: openat2
// area: files
// usage: openat2 SCRATCH   (SCRATCH must not exist yet; its parent must)
#include "probe.h"
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static int dfd;

static long o2(const char *path, unsigned long long flags, unsigned long long mode,
               unsigned long long resolve) {
    struct open_how how = {.flags = flags, .mode = mode, .resolve = resolve};
    return syscall(SYS_openat2, dfd, path, &how, sizeof how);
}

static void show_open(const char *what, long fd) {
    probe_show(what, fd < 0 ? fd : 0);
    if (fd >= 0)
        close(fd);
}

int main(int argc, char **argv) {
    if (argc < 2)
        return 2;
    char p[4200];
    SHOW("mkdir(scratch)", mkdir(argv[1], 0755));
    snprintf(p, sizeof p, "%s/sub", argv[1]);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/sub/file", argv[1]);
    close(open(p, O_WRONLY | O_CREAT, 0644));
    snprintf(p, sizeof p, "%s/outside", argv[1]);
    close(open(p, O_WRONLY | O_CREAT, 0644));
    snprintf(p, sizeof p, "%s/sub/rel", argv[1]);
    symlink("file", p);
    snprintf(p, sizeof p, "%s/sub/up", argv[1]);
    symlink("../outside", p);
    snprintf(p, sizeof p, "%s/sub/abs", argv[1]);
    symlink("/sub/file", p);
    snprintf(p, sizeof p, "%s/sub/mnt", argv[1]);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/sub", argv[1]);
    dfd = open(p, O_RDONLY | O_DIRECTORY);

    errno = 0;
    show_open("openat2(file)", o2("file", O_RDONLY, 0, 0));
    struct open_how how = {.flags = O_RDONLY};
    SHOW("openat2(size 23)", syscall(SYS_openat2, dfd, "file", &how, 23));
    SHOW("openat2(size 4097)", syscall(SYS_openat2, dfd, "file", &how, 4097));
    static char big[4096];
    memcpy(big, &how, sizeof how);
    show_open("openat2(size 4096, zero tail)", syscall(SYS_openat2, dfd, "file", big, 4096));
    big[100] = 1;
    SHOW("openat2(size 4096, non-zero tail)", syscall(SYS_openat2, dfd, "file", big, 4096));
    SHOW("openat2(bad how)", syscall(SYS_openat2, dfd, "file", (void *)8, sizeof how));
    SHOW("openat2(unknown open flag)", o2("file", 1ULL << 40, 0, 0));
    SHOW("openat2(unknown resolve flag)", o2("file", O_RDONLY, 0, 1ULL << 10));
    SHOW("openat2(RESOLVE_BENEATH|RESOLVE_IN_ROOT)", o2("file", O_RDONLY, 0, RESOLVE_BENEATH | RESOLVE_IN_ROOT));
    SHOW("openat2(mode without O_CREAT)", o2("file", O_RDONLY, 0644, 0));
    SHOW("openat2(O_CREAT, mode 010000)", o2("new", O_WRONLY | O_CREAT, 010000, 0));
    show_open("openat2(O_CREAT, mode 0600)", o2("new", O_WRONLY | O_CREAT, 0600, 0));
    SHOW("openat2(O_CREAT|O_DIRECTORY)", o2("new2", O_CREAT | O_DIRECTORY, 0600, 0));
    SHOW("openat2(O_PATH|O_RDWR)", o2("file", O_PATH | O_RDWR, 0, 0));
    show_open("openat2(O_PATH|O_CLOEXEC)", o2("file", O_PATH | O_CLOEXEC, 0, 0));
    SHOW("openat2(RESOLVE_CACHED, O_CREAT)", o2("new3", O_WRONLY | O_CREAT, 0600, RESOLVE_CACHED));

    show_open("openat2(RESOLVE_BENEATH, file)", o2("file", O_RDONLY, 0, RESOLVE_BENEATH));
    SHOW("openat2(RESOLVE_BENEATH, ../outside)", o2("../outside", O_RDONLY, 0, RESOLVE_BENEATH));
    SHOW("openat2(RESOLVE_BENEATH, an absolute path)", o2(argv[1], O_RDONLY, 0, RESOLVE_BENEATH));
    show_open("openat2(RESOLVE_BENEATH, a relative symlink)", o2("rel", O_RDONLY, 0, RESOLVE_BENEATH));
    SHOW("openat2(RESOLVE_BENEATH, a symlink out)", o2("up", O_RDONLY, 0, RESOLVE_BENEATH));
    SHOW("openat2(RESOLVE_BENEATH, an absolute symlink)", o2("abs", O_RDONLY, 0, RESOLVE_BENEATH));
    show_open("openat2(RESOLVE_BENEATH, mnt/../file)", o2("mnt/../file", O_RDONLY, 0, RESOLVE_BENEATH));

    show_open("openat2(RESOLVE_IN_ROOT, an absolute symlink)", o2("abs", O_RDONLY, 0, RESOLVE_IN_ROOT));
    show_open("openat2(RESOLVE_IN_ROOT, /file)", o2("/file", O_RDONLY, 0, RESOLVE_IN_ROOT));
    show_open("openat2(RESOLVE_IN_ROOT, ../../file)", o2("../../file", O_RDONLY, 0, RESOLVE_IN_ROOT));
    SHOW("openat2(RESOLVE_IN_ROOT, ../outside)", o2("../outside", O_RDONLY, 0, RESOLVE_IN_ROOT));

    SHOW("openat2(RESOLVE_NO_SYMLINKS, a symlink)", o2("rel", O_RDONLY, 0, RESOLVE_NO_SYMLINKS));
    show_open("openat2(RESOLVE_NO_SYMLINKS, O_PATH|O_NOFOLLOW of a symlink)",
              o2("rel", O_PATH | O_NOFOLLOW, 0, RESOLVE_NO_SYMLINKS));
    int fd = open("/dev/null", O_RDONLY);
    char magic[64];
    snprintf(magic, sizeof magic, "/proc/self/fd/%d", fd);
    show_open("openat2(a magic link)", o2(magic, O_RDONLY, 0, 0));
    SHOW("openat2(RESOLVE_NO_MAGICLINKS, a magic link)", o2(magic, O_RDONLY, 0, RESOLVE_NO_MAGICLINKS));
    SHOW("openat2(RESOLVE_NO_SYMLINKS, a magic link)", o2(magic, O_RDONLY, 0, RESOLVE_NO_SYMLINKS));
    close(fd);

    snprintf(p, sizeof p, "%s/sub/mnt", argv[1]);
    show_open("openat2(RESOLVE_NO_XDEV, within one mount)", o2("rel", O_RDONLY, 0, RESOLVE_NO_XDEV));
    SHOW("openat2(RESOLVE_NO_XDEV, into /proc)", o2("/proc/self/status", O_RDONLY, 0, RESOLVE_NO_XDEV));
    return 0;
}
