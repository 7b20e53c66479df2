// Hints about files and memory: fadvise64, readahead, sync_file_range (checked and
// accepted, with their errno cases), and mlockall, munlockall, mlock2 on the caller's own
// memory.
// covers: fadvise64, readahead, sync_file_range, mlockall, munlockall, mlock2
// area: files
// usage: advice SCRATCH   (SCRATCH must not exist yet; its parent must)
#include "probe.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef MLOCK_ONFAULT
#define MLOCK_ONFAULT 1
#endif

static long fadv(int fd, long off, long len, int advice) {
    return syscall(SYS_fadvise64, fd, off, len, advice);
}

int main(int argc, char **argv) {
    if (argc < 2)
        return 2;
    char path[4200];
    SHOW("mkdir(scratch)", mkdir(argv[1], 0755));
    snprintf(path, sizeof path, "%s/f", argv[1]);
    int fd = open(path, O_RDWR | O_CREAT, 0644);
    write(fd, "data", 4);
    for (int adv = 0; adv <= 6; adv++) {
        char what[64];
        snprintf(what, sizeof what, "fadvise64(advice %d)", adv);
        SHOW(what, fadv(fd, 0, 4096, adv));
    }
    SHOW("fadvise64(negative length)", fadv(fd, 0, -1, POSIX_FADV_NORMAL));
    SHOW("fadvise64(bad fd)", fadv(99, 0, 0, POSIX_FADV_NORMAL));
    int p[2];
    pipe(p);
    SHOW("fadvise64(pipe)", fadv(p[0], 0, 0, POSIX_FADV_NORMAL));
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    SHOW("fadvise64(socket)", fadv(sv[0], 0, 0, POSIX_FADV_NORMAL));
    int dir = open(argv[1], O_RDONLY | O_DIRECTORY);
    SHOW("fadvise64(directory)", fadv(dir, 0, 0, POSIX_FADV_WILLNEED));
    int opath = open(path, O_PATH);
    SHOW("fadvise64(O_PATH)", fadv(opath, 0, 0, POSIX_FADV_NORMAL));

    SHOW("readahead(file)", readahead(fd, 0, 4096));
    SHOW("readahead(bad fd)", readahead(99, 0, 4096));
    SHOW("readahead(pipe)", readahead(p[0], 0, 4096));
    SHOW("readahead(directory)", readahead(dir, 0, 4096));
    int wo = open(path, O_WRONLY);
    SHOW("readahead(write-only fd)", readahead(wo, 0, 4096));

    SHOW("sync_file_range(file)", sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE));
    SHOW("sync_file_range(all flags)", sync_file_range(fd, 0, 4096, 7));
    SHOW("sync_file_range(bad flags)", sync_file_range(fd, 0, 0, 8));
    SHOW("sync_file_range(negative offset)", sync_file_range(fd, -1, 0, 0));
    SHOW("sync_file_range(overflow)", sync_file_range(fd, 1, 0x7fffffffffffffffL, 0));
    SHOW("sync_file_range(pipe)", sync_file_range(p[0], 0, 0, 0));
    SHOW("sync_file_range(directory)", sync_file_range(dir, 0, 0, 0));
    SHOW("sync_file_range(bad fd)", sync_file_range(99, 0, 0, 0));

    long page = sysconf(_SC_PAGESIZE);
    char *m = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    SHOW("mlock2(MLOCK_ONFAULT)", syscall(SYS_mlock2, m, page, MLOCK_ONFAULT));
    SHOW("mlock2(bad flags)", syscall(SYS_mlock2, m, page, 2));
    SHOW("mlockall(MCL_FUTURE)", mlockall(MCL_FUTURE));
    SHOW("mlockall(0)", mlockall(0));
    SHOW("mlockall(MCL_ONFAULT alone)", mlockall(MCL_ONFAULT));
    SHOW("munlockall", munlockall());
    return 0;
}
