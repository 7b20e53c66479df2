// The minimal sysfs: the CPU and memory facts programs size themselves with, as the host
// shows them (the sandbox's CPUs are the host's), in a read-only filesystem of type sysfs.
// covers: statfs
// area: files
#include "probe.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#define SYSFS_MAGIC 0x62656572

static void show_file(const char *path) {
    char buf[256] = {0};
    int fd = open(path, O_RDONLY);
    long n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
    show_bytes(path, buf, n);
    if (fd >= 0)
        close(fd);
}

int main(void) {
    struct statfs sf;
    SHOW("statfs(/sys)", statfs("/sys", &sf));
    YESNO("statfs(/sys) type is sysfs", sf.f_type == SYSFS_MAGIC);
    show_file("/sys/devices/system/cpu/online");
    show_file("/sys/devices/system/cpu/possible");
    show_file("/sys/devices/system/cpu/present");
    show_file("/sys/kernel/mm/transparent_hugepage/enabled");
    show_file("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size");
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    int dirs = 0;
    for (long i = 0; i < n; i++) {
        char p[64];
        struct stat st;
        snprintf(p, sizeof p, "/sys/devices/system/cpu/cpu%ld", i);
        dirs += stat(p, &st) == 0 && S_ISDIR(st.st_mode);
    }
    YESNO("a cpuN directory for each online CPU", dirs == n);
    struct stat st;
    SHOW("stat(/sys/fs/cgroup) is a directory", stat("/sys/fs/cgroup", &st) == 0 && S_ISDIR(st.st_mode));
    return 0;
}
