// Process-wide knobs: rlimits (legacy calls), sysinfo, prctl options, CPU affinity,
// clock_getres (raw), chroot in a child, getpgrp.
// covers: getrlimit, setrlimit, sysinfo, prctl, sched_getaffinity, sched_setaffinity, clock_getres, chroot, getpgrp
// area: system
// usage: misc SCRATCH   (SCRATCH must not exist yet; its parent must)
#include "probe.h"
#include <fcntl.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void rlimits(void) {
    struct rlimit r, old;
    SHOW("getrlimit(NOFILE)", syscall(SYS_getrlimit, RLIMIT_NOFILE, &old));
    r.rlim_cur = 100;
    r.rlim_max = old.rlim_max;
    SHOW("setrlimit(NOFILE, 100)", syscall(SYS_setrlimit, RLIMIT_NOFILE, &r));
    SHOW("getrlimit(NOFILE) again", syscall(SYS_getrlimit, RLIMIT_NOFILE, &r));
    printf("cur=%lu\n", (unsigned long)r.rlim_cur);
    SHOW("dup2(0, 100) beyond the limit", dup2(0, 100));
    SHOW("dup2(0, 99) within", dup2(0, 99));
    r.rlim_cur = r.rlim_max + 1;
    SHOW("setrlimit(cur > max)", syscall(SYS_setrlimit, RLIMIT_NOFILE, &r));
    SHOW("setrlimit(NOFILE, old)", syscall(SYS_setrlimit, RLIMIT_NOFILE, &old));
    SHOW("getrlimit(bad resource)", syscall(SYS_getrlimit, 999, &r));
    SHOW("setrlimit(bad resource)", syscall(SYS_setrlimit, 999, &r));
    SHOW("getrlimit(bad ptr)", syscall(SYS_getrlimit, RLIMIT_NOFILE, (void *)8));
    r.rlim_cur = 1 << 20;
    r.rlim_max = RLIM_INFINITY;
    SHOW("setrlimit(STACK)", syscall(SYS_setrlimit, RLIMIT_STACK, &r));
    syscall(SYS_getrlimit, RLIMIT_STACK, &r);
    printf("STACK cur=%lu max=%s\n", (unsigned long)r.rlim_cur,
           r.rlim_max == RLIM_INFINITY ? "inf" : "finite");
}

static void prctls(void) {
    char name[32] = {0};
    SHOW("prctl(PR_SET_NAME)", prctl(PR_SET_NAME, "probe-name-that-is-long"));
    SHOW("prctl(PR_GET_NAME)", prctl(PR_GET_NAME, name));
    printf("name: %s\n", name);
    SHOW("prctl(PR_SET_PDEATHSIG, SIGUSR1)", prctl(PR_SET_PDEATHSIG, 10));
    int sig = -1;
    SHOW("prctl(PR_GET_PDEATHSIG)", prctl(PR_GET_PDEATHSIG, &sig));
    printf("pdeathsig: %d\n", sig);
    SHOW("prctl(PR_SET_PDEATHSIG, 99)", prctl(PR_SET_PDEATHSIG, 99));
    SHOW("prctl(PR_GET_DUMPABLE)", prctl(PR_GET_DUMPABLE));
    SHOW("prctl(PR_SET_DUMPABLE, 0)", prctl(PR_SET_DUMPABLE, 0));
    SHOW("prctl(PR_GET_DUMPABLE) after", prctl(PR_GET_DUMPABLE));
    SHOW("prctl(PR_SET_DUMPABLE, 5)", prctl(PR_SET_DUMPABLE, 5));
    SHOW("prctl(PR_GET_KEEPCAPS)", prctl(PR_GET_KEEPCAPS));
    SHOW("prctl(PR_SET_KEEPCAPS, 1)", prctl(PR_SET_KEEPCAPS, 1));
    SHOW("prctl(PR_GET_KEEPCAPS) after", prctl(PR_GET_KEEPCAPS));
    SHOW("prctl(PR_GET_NO_NEW_PRIVS)", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
    SHOW("prctl(PR_SET_NO_NEW_PRIVS, 1, junk)", prctl(PR_SET_NO_NEW_PRIVS, 1, 1, 0, 0));
    SHOW("prctl(PR_SET_CHILD_SUBREAPER, 1)", prctl(PR_SET_CHILD_SUBREAPER, 1));
    int reaper = -1;
    SHOW("prctl(PR_GET_CHILD_SUBREAPER)", prctl(PR_GET_CHILD_SUBREAPER, &reaper));
    printf("subreaper: %d\n", reaper);
    SHOW("prctl(PR_CAPBSET_READ, CAP_CHOWN)", prctl(PR_CAPBSET_READ, 0));
    SHOW("prctl(PR_CAPBSET_READ, 999)", prctl(PR_CAPBSET_READ, 999));
    SHOW("prctl(bad option)", prctl(0x7fff1234));
}

static void affinity(void) {
    cpu_set_t set, all;
    CPU_ZERO(&set);
    long n = syscall(SYS_sched_getaffinity, 0, sizeof all, &all);
    printf("sched_getaffinity: %s\n", n > 0 && n % 8 == 0 ? "ok" : probe_errname(errno));
    YESNO("some CPU", CPU_COUNT(&all) > 0);
    SHOW("sched_getaffinity(size 3)", syscall(SYS_sched_getaffinity, 0, 3, &set));
    SHOW("sched_getaffinity(bad pid)", syscall(SYS_sched_getaffinity, 999999, sizeof set, &set));
    SHOW("sched_getaffinity(bad ptr)", syscall(SYS_sched_getaffinity, 0, sizeof set, (void *)8));
    int first = 0;
    while (!CPU_ISSET(first, &all))
        first++;
    CPU_SET(first, &set);
    SHOW("sched_setaffinity(one CPU)", syscall(SYS_sched_setaffinity, 0, sizeof set, &set));
    syscall(SYS_sched_getaffinity, 0, sizeof set, &set);
    SHOW("CPUs now", CPU_COUNT(&set));
    CPU_ZERO(&set);
    SHOW("sched_setaffinity(empty)", syscall(SYS_sched_setaffinity, 0, sizeof set, &set));
    SHOW("sched_setaffinity(bad pid)", syscall(SYS_sched_setaffinity, 999999, sizeof all, &all));
    SHOW("sched_setaffinity(all)", syscall(SYS_sched_setaffinity, 0, sizeof all, &all));
}

static void in_chroot(const char *dir) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        SHOW("chroot(scratch)", syscall(SYS_chroot, dir));
        SHOW("chdir(/)", chdir("/"));
        SHOW("access(/marker)", access("/marker", F_OK));
        SHOW("access(/../marker) stays", access("/../marker", F_OK));
        SHOW("access(/etc/passwd) gone", access("/etc/passwd", F_OK));
        SHOW("chroot(missing)", syscall(SYS_chroot, "/missing"));
        SHOW("chroot(marker) not a dir", syscall(SYS_chroot, "/marker"));
        SHOW("chroot(bad ptr)", syscall(SYS_chroot, (void *)8));
        fflush(stdout);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    SHOW("parent's root unchanged: access(/etc/passwd)", access("/etc/passwd", F_OK));
}

int main(int argc, char **argv) {
    if (argc < 2)
        return 2;
    SHOW("mkdir(scratch)", mkdir(argv[1], 0755));
    int fd = open(argv[1], O_RDONLY | O_DIRECTORY);
    close(openat(fd, "marker", O_CREAT | O_WRONLY, 0644));

    rlimits();
    struct sysinfo si;
    SHOW("sysinfo", syscall(SYS_sysinfo, &si));
    YESNO("uptime > 0", si.uptime > 0);
    YESNO("totalram >= freeram > 0", si.totalram >= si.freeram && si.freeram > 0);
    YESNO("procs > 0", si.procs > 0);
    SHOW("mem_unit", si.mem_unit);
    SHOW("sysinfo(bad ptr)", syscall(SYS_sysinfo, (void *)8));
    prctls();
    affinity();
    struct timespec ts;
    SHOW("clock_getres(MONOTONIC)", syscall(SYS_clock_getres, CLOCK_MONOTONIC, &ts));
    printf("res: %ld.%09ld\n", (long)ts.tv_sec, ts.tv_nsec);
    SHOW("clock_getres(REALTIME_COARSE) > 1ns",
         syscall(SYS_clock_getres, CLOCK_REALTIME_COARSE, &ts) == 0 && ts.tv_nsec > 1);
    SHOW("clock_getres(MONOTONIC, NULL)", syscall(SYS_clock_getres, CLOCK_MONOTONIC, NULL));
    SHOW("clock_getres(bad clock)", syscall(SYS_clock_getres, 999, &ts));
    SHOW("clock_getres(bad ptr)", syscall(SYS_clock_getres, CLOCK_MONOTONIC, (void *)8));
    SHOW("getpgrp == getpgid(0)", syscall(SYS_getpgrp) == getpgid(0));
    in_chroot(argv[1]);
    return 0;
}
