// O_TMPFILE: an unnamed file in a directory, named later with linkat, unless O_EXCL.
// covers: openat, linkat
// area: files
// usage: tmpfile SCRATCH   (SCRATCH must not exist yet; its parent must)
#include "probe.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 2)
        return 2;
    char path[4200];
    SHOW("mkdir(scratch)", mkdir(argv[1], 0755));
    SHOW("openat(O_TMPFILE|O_RDONLY)", open(argv[1], O_TMPFILE | O_RDONLY, 0600));
    SHOW("openat(O_TMPFILE|O_CREAT)", open(argv[1], O_TMPFILE | O_RDWR | O_CREAT, 0600));
    snprintf(path, sizeof path, "%s/missing", argv[1]);
    SHOW("openat(O_TMPFILE, missing dir)", open(path, O_TMPFILE | O_RDWR, 0600));
    snprintf(path, sizeof path, "%s/file", argv[1]);
    close(open(path, O_WRONLY | O_CREAT, 0644));
    SHOW("openat(O_TMPFILE, a file)", open(path, O_TMPFILE | O_RDWR, 0600));

    umask(022);
    int fd = open(argv[1], O_TMPFILE | O_RDWR, 0666);
    printf("openat(O_TMPFILE|O_RDWR): %s\n", fd >= 0 ? "ok" : probe_errname(errno));
    struct stat st;
    fstat(fd, &st);
    printf("O_TMPFILE nlink %ld, mode %o, size %ld\n", (long)st.st_nlink, st.st_mode & 07777,
           (long)st.st_size);
    SHOW("write(O_TMPFILE)", write(fd, "hello", 5));
    char name[4200];
    snprintf(name, sizeof name, "%s/named", argv[1]);
    SHOW("linkat(AT_EMPTY_PATH)", linkat(fd, "", AT_FDCWD, name, AT_EMPTY_PATH));
    fstat(fd, &st);
    printf("after linkat nlink %ld\n", (long)st.st_nlink);
    char buf[16] = {0};
    int r = open(name, O_RDONLY);
    SHOW("read(the named file)", read(r, buf, sizeof buf - 1));
    printf("the named file holds: %s\n", buf);
    close(r);
    close(fd);

    fd = open(argv[1], O_TMPFILE | O_WRONLY | O_EXCL, 0600);
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    snprintf(name, sizeof name, "%s/excl", argv[1]);
    SHOW("linkat(O_TMPFILE|O_EXCL, via /proc)", linkat(AT_FDCWD, proc, AT_FDCWD, name, AT_SYMLINK_FOLLOW));
    SHOW("linkat(O_TMPFILE|O_EXCL, AT_EMPTY_PATH)", linkat(fd, "", AT_FDCWD, name, AT_EMPTY_PATH));
    close(fd);

    fd = open(argv[1], O_TMPFILE | O_WRONLY, 0600);
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    snprintf(name, sizeof name, "%s/viaproc", argv[1]);
    SHOW("linkat(via /proc/self/fd, AT_SYMLINK_FOLLOW)", linkat(AT_FDCWD, proc, AT_FDCWD, name, AT_SYMLINK_FOLLOW));
    SHOW("linkat(to an existing name)", linkat(fd, "", AT_FDCWD, name, AT_EMPTY_PATH));
    close(fd);
    SHOW("stat(viaproc)", stat(name, &st));
    return 0;
}
