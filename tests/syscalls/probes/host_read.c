// Reads and stats of host-backed files (the rootfs's read-only lower layer): reads into
// memory that ends early, is read-only or unmapped (the count delivered and the offset
// Linux leaves), reads past 64 KiB, EOF, and the stat family on host files and dirs.
// covers: read, pread64, lseek, stat, lstat, fstat, newfstatat
// area: files
#include "probe.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static char whole[1 << 20], again[1 << 20];

static int same_file(const struct stat *a, const struct stat *b) {
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
           a->st_mode == b->st_mode && a->st_nlink == b->st_nlink &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
           a->st_uid == b->st_uid && a->st_blocks == b->st_blocks;
}

static void reads(const char *path) {
    int fd = open(path, O_RDONLY);
    struct stat st;
    OK("open", fd);
    OK("fstat", fstat(fd, &st));
    char *p = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    mprotect(p + 4096, 4096, PROT_NONE);
    mprotect(p + 8192, 4096, PROT_READ);
    SHOW("read ending at a PROT_NONE page", read(fd, p + 4096 - 100, 4096));
    SHOW("offset after it", lseek(fd, 0, SEEK_CUR));
    SHOW("read into PROT_NONE", read(fd, p + 4096, 10));
    SHOW("read into PROT_READ", read(fd, p + 8192, 10));
    SHOW("read into a bad pointer", syscall(SYS_read, fd, (void *)8, 10));
    SHOW("offset still", lseek(fd, 0, SEEK_CUR));
    SHOW("read of 0 into NULL", read(fd, NULL, 0));
    SHOW("pread into PROT_NONE", pread(fd, p + 4096, 10, 0));
    SHOW("rewind", lseek(fd, 0, SEEK_SET));
    long n = 0, r;
    while ((r = read(fd, whole + n, 1000)) > 0)
        n += r;
    YESNO("small reads add up to st_size", n == st.st_size);
    SHOW("read at EOF into NULL", read(fd, NULL, 10));
    YESNO("pread of it all matches", pread(fd, again, sizeof again, 0) == n &&
          !memcmp(whole, again, (size_t)n));
    SHOW("rewind", lseek(fd, 0, SEEK_SET));
    YESNO("one big read matches", read(fd, again, sizeof again) == n &&
          !memcmp(whole, again, (size_t)n));
    SHOW("rewind", lseek(fd, 0, SEEK_SET));
    YESNO("64 KiB read", read(fd, again, 65536) == (n < 65536 ? n : 65536));
    YESNO("64 KiB + 1 read", read(fd, again, 65537) == (n - 65536 < 0 ? 0 :
          n - 65536 < 65537 ? n - 65536 : 65537));
    SHOW("close", close(fd));
    munmap(p, 3 * 4096);
}

int main(void) {
    reads("/etc/passwd");
    reads("/bin/sh");
    struct stat a, b;
    int fd = open("/etc/passwd", O_RDONLY), dir = open("/etc", O_RDONLY | O_DIRECTORY);
    SHOW("stat", stat("/etc/passwd", &a));
    SHOW("fstat", syscall(SYS_fstat, fd, &b));
    YESNO("stat == fstat", same_file(&a, &b));
    SHOW("lstat", syscall(SYS_lstat, "/etc/passwd", &b));
    YESNO("stat == lstat", same_file(&a, &b));
    SHOW("fstatat(dirfd)", fstatat(dir, "passwd", &b, AT_SYMLINK_NOFOLLOW));
    YESNO("stat == fstatat", same_file(&a, &b));
    SHOW("fstatat(AT_EMPTY_PATH)", fstatat(fd, "", &b, AT_EMPTY_PATH));
    YESNO("stat == fstatat(AT_EMPTY_PATH)", same_file(&a, &b));
    char target[64];
    long tn = readlink("/bin", target, sizeof target);
    SHOW("lstat(/bin)", syscall(SYS_lstat, "/bin", &a));
    YESNO("lstat(/bin) is a link exactly when readlink works", S_ISLNK(a.st_mode) == (tn >= 0));
    YESNO("its size is the target's length", tn < 0 || a.st_size == tn);
    SHOW("stat(/bin)", stat("/bin", &b));
    YESNO("stat(/bin) is a dir", S_ISDIR(b.st_mode));
    SHOW("stat(/etc)", stat("/etc", &a));
    SHOW("fstat(dirfd)", syscall(SYS_fstat, dir, &b));
    YESNO("/etc is a dir, same as its fd", S_ISDIR(a.st_mode) && same_file(&a, &b));
    SHOW("stat(/etc/.)", stat("/etc/.", &b));
    YESNO("same as /etc", same_file(&a, &b));
    SHOW("stat(/etc/passwd/x)", stat("/etc/passwd/x", &a));
    SHOW("stat(/etc/passwd/)", stat("/etc/passwd/", &a));
    SHOW("stat(/etc/no-such-file)", stat("/etc/no-such-file", &a));
    SHOW("stat(\"\")", stat("", &a));
    SHOW("stat into a bad pointer", syscall(SYS_stat, "/etc/passwd", (void *)8));
    char *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    SHOW("stat into PROT_READ", syscall(SYS_stat, "/etc/passwd", ro));
    SHOW("newfstatat into PROT_READ", syscall(SYS_newfstatat, AT_FDCWD, "/etc", ro, 0));
    SHOW("newfstatat bad flag", syscall(SYS_newfstatat, AT_FDCWD, "/etc", &a, 0x8000));
    SHOW("stat of a bad path pointer", syscall(SYS_stat, (void *)8, &a));
    return 0;
}
