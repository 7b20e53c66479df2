// A shared mapping of a file opened read-only cannot be made writable (mprotect EACCES),
// through either mmap path (a stop or a notification by the fd's number); a private one
// can (copy on write, the file unchanged); a writable description's shared mapping can.
// The same for a SHM_RDONLY attach of a SysV segment.
// covers: mmap, mprotect, shmat
// area: memory
#include "probe.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

static void try_write(const char *what, int fd, int flags) {
    char *m = mmap(0, 4096, PROT_READ, flags, fd, 0);
    if (m == MAP_FAILED) {
        printf("%s: mmap -1 %s\n", what, probe_errname(errno));
        return;
    }
    long r = mprotect(m, 4096, PROT_READ | PROT_WRITE);
    printf("%s: mprotect RW %ld %s\n", what, r, r ? probe_errname(errno) : "");
    if (!r)
        memcpy(m, "CHANGED!", 8);
    munmap(m, 4096);
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "mmap-ro-scratch";
    char path[4096], back[9] = {0};
    mkdir(dir, 0700);
    snprintf(path, sizeof path, "%s/file", dir);
    int w = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    write(w, "original", 8);
    ftruncate(w, 4096);
    int ro = open(path, O_RDONLY), lowfd = dup2(ro, 2000);  // 2000: above the numbers the
    try_write("shared, read-only fd", ro, MAP_SHARED);     // filter notifies (a stop)
    try_write("shared, read-only fd 2000", lowfd, MAP_SHARED);
    try_write("shared validate, read-only fd", ro, MAP_SHARED_VALIDATE);
    pread(w, back, 8, 0);
    printf("file after: %s\n", back);
    try_write("private, read-only fd", ro, MAP_PRIVATE);
    pread(w, back, 8, 0);
    printf("file after: %s\n", back);
    try_write("shared, read-write fd", w, MAP_SHARED);
    pread(w, back, 8, 0);
    printf("file after: %s\n", back);

    int id = shmget(IPC_PRIVATE, 4096, 0600);
    char *rw = shmat(id, 0, 0), *rd = shmat(id, 0, SHM_RDONLY);
    strcpy(rw, "segment");
    long r = mprotect(rd, 4096, PROT_READ | PROT_WRITE);
    printf("SHM_RDONLY attach: mprotect RW %ld %s\n", r, r ? probe_errname(errno) : "");
    r = mprotect(rw, 4096, PROT_READ);
    printf("read-write attach: mprotect R then RW %ld %ld\n", r,
           (long)mprotect(rw, 4096, PROT_READ | PROT_WRITE));
    shmctl(id, IPC_RMID, 0);
    unlink(path);
    return 0;
}
