// build: -static
// Found by the fuzzer: chown with a uid or gid above INT_MAX (-2 as an int) stored a
// negative owner, and the next stat of the file crashed the Sentry (struct.pack of a
// negative uid_t). Linux takes uid_t: -2 is 4294967294; -1 keeps the owner.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

static void show(const char *what, int r, const char *path) {
    struct stat st;
    if (r < 0) {
        perror(what);
        return;
    }
    if (stat(path, &st) < 0) perror("stat");
    printf("%s: uid %u gid %u\n", what, st.st_uid, st.st_gid);
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    const char *f = argc > 1 ? argv[1] : "/tmp/chown-ids";
    int fd = open(f, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    show("chown -2 -3", chown(f, (uid_t)-2, (gid_t)-3), f);
    show("fchown 7 -1", fchown(fd, 7, (gid_t)-1), f);
    show("fchownat -1 0x80000000", fchownat(AT_FDCWD, f, (uid_t)-1, 0x80000000u, 0), f);
    show("lchown 0 0", lchown(f, 0, 0), f);
    unlink(f);
    return 0;
}
