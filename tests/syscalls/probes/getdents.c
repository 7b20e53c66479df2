// The legacy getdents (struct linux_dirent, d_type in each record's last byte) beside
// getdents64: the same names and types, and their errno cases.
// covers: getdents, getdents64
// area: files
// usage: getdents SCRATCH   (SCRATCH must not exist yet; its parent must)
#include "probe.h"
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

struct old_dirent {
    unsigned long d_ino, d_off;
    unsigned short d_reclen;
    char d_name[];
};

static int cmp(const void *a, const void *b) { return strcmp(*(char **)a, *(char **)b); }

static void list(const char *what, int fd, int legacy) {
    char buf[4096], *names[16];
    int n = 0;
    lseek(fd, 0, SEEK_SET);
    long got;
    while ((got = syscall(legacy ? SYS_getdents : SYS_getdents64, fd, buf, sizeof buf)) > 0) {
        for (long off = 0; off < got;) {
            char *name, type;
            unsigned short reclen;
            if (legacy) {
                struct old_dirent *d = (void *)(buf + off);
                name = d->d_name, reclen = d->d_reclen, type = buf[off + reclen - 1];
            } else {
                struct { uint64_t ino; int64_t off; unsigned short reclen; unsigned char type; char name[]; } *d = (void *)(buf + off);
                name = d->name, reclen = d->reclen, type = d->type;
            }
            if (n < 16) {
                names[n] = malloc(300);
                snprintf(names[n++], 300, "%s/%d", name, type);
            }
            off += reclen;
        }
    }
    qsort(names, n, sizeof *names, cmp);
    printf("%s:", what);
    for (int i = 0; i < n; i++)
        printf(" %s", names[i]);
    printf("\n");
}

int main(int argc, char **argv) {
    if (argc < 2)
        return 2;
    char p[4200];
    SHOW("mkdir(scratch)", mkdir(argv[1], 0755));
    snprintf(p, sizeof p, "%s/file", argv[1]);
    close(open(p, O_WRONLY | O_CREAT, 0644));
    snprintf(p, sizeof p, "%s/dir", argv[1]);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/link", argv[1]);
    symlink("file", p);
    snprintf(p, sizeof p, "%s/a-rather-long-name-to-cross-the-alignment-of-records", argv[1]);
    close(open(p, O_WRONLY | O_CREAT, 0644));
    int fd = open(argv[1], O_RDONLY | O_DIRECTORY);
    list("getdents", fd, 1);
    list("getdents64", fd, 0);
    char small[8];
    lseek(fd, 0, SEEK_SET);
    SHOW("getdents(buffer too small)", syscall(SYS_getdents, fd, small, sizeof small));
    snprintf(p, sizeof p, "%s/file", argv[1]);
    int f = open(p, O_RDONLY);
    SHOW("getdents(a file)", syscall(SYS_getdents, f, small, sizeof small));
    SHOW("getdents(bad fd)", syscall(SYS_getdents, 99, small, sizeof small));
    SHOW("getdents(bad buffer)", syscall(SYS_getdents, fd, (void *)8, 4096));
    return 0;
}
