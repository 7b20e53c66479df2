// Paths that try to leave the sandbox root. Sandbox-only (tests/syscalls/test_containment.py).
// usage: escape MARKER LINKDIR < pids
//   MARKER: a unique name; the probe creates /etc/MARKER containing "inside\n" (the host's
//           /etc never has it), then opens it through every trick: "inside" means the path
//           stayed in the sandbox's root.
//   LINKDIR: a host directory holding `abs` -> "/" and `rel` -> "../../../../../../../.."
//   stdin: host pids, one a line (the Sentry's and its neighbours'): /proc/N must not
//          exist in the sandbox unless N is one of the sandbox's own pids.
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void check(const char *path) {
    char buf[64];
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        printf("path %s: -1 %s\n", path, strerrorname_np(errno));
        return;
    }
    ssize_t n = read(fd, buf, sizeof buf);
    close(fd);
    printf("path %s: %s\n", path, n == 7 && memcmp(buf, "inside\n", 7) == 0 ? "inside" : "other");
}

static void check_pid(long pid, const char *marker) {
    char path[256];
    struct stat st;
    snprintf(path, sizeof path, "/proc/%ld", pid);
    if (stat(path, &st) < 0) {
        printf("pid %ld: /proc/%ld -1 %s\n", pid, pid, strerrorname_np(errno));
        return;
    }
    snprintf(path, sizeof path, "/proc/%ld/root/etc/%s", pid, marker);
    int fd = open(path, O_RDONLY);
    char buf[16];
    ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf);
    printf("pid %ld: marker %s\n", pid, n == 7 && memcmp(buf, "inside\n", 7) == 0 ? "inside" : "absent");
    if (fd >= 0)
        close(fd);
    snprintf(path, sizeof path, "/proc/%ld/root/etc/shadow", pid);
    fd = open(path, O_RDONLY);
    printf("pid %ld: shadow %s\n", pid, fd < 0 ? strerrorname_np(errno) : "opened");
    if (fd >= 0)
        close(fd);
}

int main(int argc, char **argv) {
    char path[4096];
    if (argc < 3)
        return 2;
    const char *m = argv[1], *links = argv[2];
    snprintf(path, sizeof path, "/etc/%s", m);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
    printf("create /etc/MARKER: %s\n", fd < 0 ? strerrorname_np(errno) : "ok");
    if (fd < 0 || write(fd, "inside\n", 7) != 7)
        return 1;
    close(fd);

    const char *tricks[] = {
        "/etc/%s",
        "/../../../etc/%s",
        "/..//..//etc/../etc/%s",
        "/proc/self/root/etc/%s",
        "/proc/self/root/../../etc/%s",
        "/proc/1/root/etc/%s",
        "/proc/self/cwd/../../../../../../../../../../../../etc/%s",
        "/proc/thread-self/root/etc/%s",
        "%s/abs/etc/%s",
        "%s/rel/etc/%s",
        "%s/abs/../../etc/%s",
    };
    for (unsigned i = 0; i < sizeof tricks / sizeof *tricks; i++) {
        if (strncmp(tricks[i], "%s/", 3) == 0)
            snprintf(path, sizeof path, tricks[i], links, m);
        else
            snprintf(path, sizeof path, tricks[i], m);
        check(path);
    }
    /* cwd-relative climbing. */
    printf("chdir(/): %d\n", chdir("/"));
    printf("chdir(..): %d\n", chdir(".."));
    printf("getcwd: %s\n", getcwd(path, sizeof path) ? path : strerrorname_np(errno));
    snprintf(path, sizeof path, "../../etc/%s", m);
    check(path);
    /* The sandbox's /proc lists its own processes only. */
    DIR *d = opendir("/proc");
    struct dirent *e;
    printf("proc pids:");
    if (d) {
        long pids[256];
        int n = 0;
        while ((e = readdir(d)) && n < 256)
            if (isdigit((unsigned char)e->d_name[0]))
                pids[n++] = atol(e->d_name);
        closedir(d);
        for (int i = 0; i < n; i++)  /* insertion sort: tiny lists */
            for (int j = i; j > 0 && pids[j] < pids[j - 1]; j--) {
                long t = pids[j];
                pids[j] = pids[j - 1];
                pids[j - 1] = t;
            }
        for (int i = 0; i < n; i++)
            printf(" %ld", pids[i]);
    } else {
        printf(" opendir: %s", strerrorname_np(errno));
    }
    printf("\n");
    long pid;
    while (scanf("%ld", &pid) == 1)
        check_pid(pid, m);
    printf("done\n");
    return 0;
}
