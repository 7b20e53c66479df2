// brk, anonymous and file-backed mmap/munmap, and their errno cases.
// covers: brk, mmap, munmap, mprotect, msync
// area: memory
// usage: memory SCRATCH   (SCRATCH must not exist yet; its parent must)
#include "probe.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PAGE 4096L
#define FILE_SIZE 10000

static int pattern_ok(const unsigned char *p, long n, int seed) {
    for (long i = 0; i < n; i++)
        if (p[i] != (unsigned char)(i * 7 + seed))
            return 0;
    return 1;
}

static void test_brk(void) {
    long cur = syscall(SYS_brk, 0);
    YESNO("brk(0) > 0", cur > 0);
    long want = cur + 16 * PAGE;
    long got = syscall(SYS_brk, want);
    YESNO("brk(grow 64K) == requested", got == want);
    memset((char *)cur, 0x5a, 16 * PAGE);
    YESNO("brk memory writable", ((char *)cur)[16 * PAGE - 1] == 0x5a);
    YESNO("brk(0) again == grown", syscall(SYS_brk, 0) == want);
    YESNO("brk(shrink) == old", syscall(SYS_brk, cur) == cur);
    /* brk below the data segment fails by returning the current break, not -1. */
    YESNO("brk(4096) == current", syscall(SYS_brk, 4096) == cur);
}

static void test_anon(void) {
    unsigned char *p = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    YESNO("mmap(anon 3 pages) ok", p != MAP_FAILED);
    YESNO("anon memory zeroed", p[0] == 0 && p[3 * PAGE - 1] == 0);
    for (long i = 0; i < 3 * PAGE; i++)
        p[i] = (unsigned char)(i * 7 + 1);
    YESNO("anon pattern", pattern_ok(p, 3 * PAGE, 1));
    SHOW("munmap(middle page)", munmap(p + PAGE, PAGE));
    YESNO("pages around hole intact", pattern_ok(p, PAGE, 1) && p[2 * PAGE] == (unsigned char)(2 * PAGE * 7 + 1));
    SHOW("mprotect(first, PROT_READ)", mprotect(p, PAGE, PROT_READ));
    SHOW("mprotect(hole)", mprotect(p + PAGE, PAGE, PROT_READ));
    SHOW("munmap(all 3 pages, hole included)", munmap(p, 3 * PAGE));
    SHOW("munmap(again)", munmap(p, 3 * PAGE));
    SHOW("munmap(unaligned)", munmap(p + 1, PAGE));
    SHOW("munmap(len 0)", munmap(p, 0));
    unsigned char *f = mmap(p, PAGE, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    YESNO("mmap(MAP_FIXED at old address) == address", f == p);
    SHOW("munmap", munmap(f, PAGE));
}

static void test_file(void) {
    unsigned char data[FILE_SIZE], back[FILE_SIZE];
    for (int i = 0; i < FILE_SIZE; i++)
        data[i] = (unsigned char)(i * 7 + 3);
    int fd = SHOW("open(data, O_RDWR|O_CREAT)", open("data", O_RDWR | O_CREAT | O_EXCL, 0644));
    SHOW("write(data)", write(fd, data, FILE_SIZE));
    SHOW("pread(data)", pread(fd, back, FILE_SIZE, 0));

    unsigned char *m = mmap(NULL, FILE_SIZE, PROT_READ, MAP_PRIVATE, fd, 0);
    YESNO("mmap(file, PROT_READ, MAP_PRIVATE) ok", m != MAP_FAILED);
    YESNO("mmap contents == read()", m != MAP_FAILED && memcmp(m, back, FILE_SIZE) == 0);
    YESNO("tail of last page zero", m != MAP_FAILED && m[3 * PAGE - 1] == 0);
    SHOW("munmap(file map)", munmap(m, FILE_SIZE));

    m = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 2 * PAGE);
    YESNO("mmap(offset 2 pages) == read() at offset", m != MAP_FAILED && memcmp(m, back + 2 * PAGE, FILE_SIZE - 2 * PAGE) == 0);
    SHOW("munmap", munmap(m, PAGE));

    m = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    YESNO("mmap(MAP_SHARED rw) ok", m != MAP_FAILED);
    if (m != MAP_FAILED) {
        memcpy(m, "shared!", 7);
        SHOW("msync", msync(m, PAGE, MS_SYNC));
    }
    SHOW("pread(7)", pread(fd, back, 7, 0));
    YESNO("shared write visible to pread", memcmp(back, "shared!", 7) == 0);
    SHOW("munmap", munmap(m, PAGE));

    m = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    if (m != MAP_FAILED)
        memcpy(m, "private", 7);
    SHOW("pread(7)", pread(fd, back, 7, 0));
    YESNO("private write invisible to pread", memcmp(back, "shared!", 7) == 0);
    SHOW("munmap", munmap(m, PAGE));

    SHOW("mmap(unaligned offset)", mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 100));
    SHOW("mmap(len 0)", mmap(NULL, 0, PROT_READ, MAP_PRIVATE, fd, 0));
    SHOW("mmap(no MAP_PRIVATE/SHARED)", mmap(NULL, PAGE, PROT_READ, MAP_ANONYMOUS, -1, 0));
    SHOW("mmap(bad fd)", mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, 99, 0));
    SHOW("close", close(fd));
    fd = open("data", O_WRONLY);
    SHOW("mmap(O_WRONLY fd)", mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 0));
    close(fd);
    fd = open("data", O_RDONLY);
    SHOW("mmap(O_RDONLY fd, PROT_WRITE, MAP_SHARED)", mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
    close(fd);
    fd = open(".", O_RDONLY | O_DIRECTORY);
    SHOW("mmap(directory fd)", mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 0));
    close(fd);
}

int main(int argc, char **argv) {
    if (argc < 2)
        return 2;
    SHOW("mkdir(scratch)", mkdir(argv[1], 0755));
    SHOW("chdir(scratch)", chdir(argv[1]));
    test_brk();
    test_anon();
    test_file();
    return 0;
}
