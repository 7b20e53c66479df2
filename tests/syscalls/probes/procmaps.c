// /proc/self/maps, smaps, status and /proc/stat: the shape Linux gives them.
// covers: openat, read, readlink
// area: procfs
// usage: procmaps SCRATCH   (SCRATCH must not exist yet; its parent must)
#include "probe.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

static char text[1 << 20];

static long slurp(const char *path) {
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    long n = 0, r;
    while ((r = read(fd, text + n, sizeof text - 1 - n)) > 0)
        n += r;
    text[n] = 0;
    close(fd);
    return n;
}

/* The maps line that names `path` (exact match of the name column), with perms. */
static void find_named(const char *what, const char *path, const char *perms) {
    int found = 0, well_formed = 1;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        unsigned long lo, hi, off, ino;
        unsigned maj, min;
        char p[5];
        int col = 0;
        if (sscanf(line, "%lx-%lx %4s %lx %x:%x %lu %n", &lo, &hi, p, &off, &maj, &min, &ino,
                   &col) < 7) {
            well_formed = 0;
            continue;
        }
        const char *name = line + col;
        if (*name && col != 73 && strlen(line) > 73)
            well_formed = 0;  /* names start at column 73 */
        if (strcmp(name, path) == 0 && strcmp(p, perms) == 0)
            found = 1;
    }
    printf("%s: %s\n", what, found ? "yes" : "no");
    printf("%s: lines well formed: %s\n", what, well_formed ? "yes" : "no");
}

static int has(const char *needle) { return strstr(text, needle) != NULL; }

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    const char *scratch = argv[1];
    char exe[4096];
    long n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = 0;
    int fd = open(scratch, O_RDWR | O_CREAT | O_EXCL, 0600);
    OK("create scratch", fd);
    SHOW("ftruncate", ftruncate(fd, 8192));
    char *shared = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    char *priv = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 4096);
    YESNO("mmaps", shared != MAP_FAILED && priv != MAP_FAILED);
    void *heap = malloc(100);  /* small: from brk */
    YESNO("malloc", heap != NULL);

    OK("read maps", slurp("/proc/self/maps"));
    YESNO("[stack]", has("[stack]\n"));
    YESNO("[vdso]", has("[vdso]\n"));
    YESNO("[heap]", has("[heap]\n"));
    YESNO("no memfd names", !has("memfd:"));
    find_named("exe r-xp", exe, "r-xp");
    slurp("/proc/self/maps");
    find_named("scratch rw-s", scratch, "rw-s");
    slurp("/proc/self/maps");
    find_named("scratch r--p", scratch, "r--p");
    munmap(shared, 8192);
    slurp("/proc/self/maps");
    find_named("scratch rw-s after munmap", scratch, "rw-s");

    OK("read smaps", slurp("/proc/self/smaps"));
    YESNO("smaps has Rss:", has("\nRss:"));
    YESNO("smaps names the file", has(scratch));

    OK("read status", slurp("/proc/self/status"));
    printf("status keys:");
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        char *colon = strchr(line, ':');
        if (colon) {
            *colon = 0;
            printf(" %s", line);
        }
    }
    printf("\n");
    OK("read stat", slurp("/proc/stat"));
    YESNO("stat starts with cpu", strncmp(text, "cpu ", 4) == 0);
    YESNO("stat btime", has("\nbtime "));
    YESNO("stat processes", has("\nprocesses "));
    YESNO("stat procs_running", has("\nprocs_running "));
    SHOW("unlink", unlink(scratch));
    return 0;
}
