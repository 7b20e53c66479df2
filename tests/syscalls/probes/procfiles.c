// /proc/<pid>/fdinfo, mountinfo, limits and the read-only /proc/sys limits: what must read
// the same natively and sandboxed (never inode numbers, mount ids, device numbers or pids).
// covers: openat, read, getdents64
// area: procfs
// usage: procfiles SCRATCH   (SCRATCH must not exist yet; its parent must)
#include "probe.h"
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

static char text[1 << 16];

static long slurp(const char *path) {
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    long n = 0, r;
    while ((r = read(fd, text + n, sizeof text - 1 - n)) > 0)
        n += r;
    text[n] = 0;
    close(fd);
    return r < 0 ? -1 : n;
}

/* Prints the lines of /proc/self/fdinfo/<fd> that start with one of `keys` (up to `cut`
 * in the line, if found there: the rest names inodes or devices). */
static void fdinfo(const char *what, int fd, const char *const *keys, const char *cut) {
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
    if (slurp(path) < 0) {
        printf("%s: -1 %s\n", what, probe_errname(errno));
        return;
    }
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        for (const char *const *k = keys; *k; k++) {
            if (strncmp(line, *k, strlen(*k)) == 0) {
                char *c = cut ? strstr(line, cut) : NULL;
                if (c)
                    *c = 0;
                printf("%s: %s\n", what, line);
            }
        }
    }
}

static const char *const POSFLAGS[] = {"pos:", "flags:", NULL};
static const char *const ALLHEAD[] = {"pos:", "flags:", "mnt_id:", "ino:", NULL};

/* The lock: lines of /proc/self/fdinfo/<fd> without the dev:ino field. */
static void fdinfo_locks(const char *what, int fd) {
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
    if (slurp(path) < 0)
        return;
    int n = 0;
    char *save;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (strncmp(line, "lock:", 5))
            continue;
        char *w[12];
        int nw = 0;
        for (char *t = strtok(line, " \t"); t && nw < 12; t = strtok(NULL, " \t"))
            w[nw++] = t;
        n++;
        if (nw == 9)
            printf("%s: %s %s %s %s %s %s [dev:ino] %s %s\n", what, w[0], w[1], w[2], w[3],
                   w[4], atoi(w[5]) == getpid() ? "[our pid]" : w[5], w[7], w[8]);
        else
            printf("%s: %d fields\n", what, nw);
    }
    printf("%s: %d lines\n", what, n);
}

static void locks(const char *path) {
    int a = open(path, O_RDWR), b = open(path, O_RDWR);
    struct flock l = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 10, .l_len = 5};
    fcntl(a, F_SETLK, &l);
    l = (struct flock){.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 100, .l_len = 0};
    fcntl(a, F_SETLK, &l);
    l = (struct flock){.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 3};
    fcntl(b, F_OFD_SETLK, &l);
    flock(b, LOCK_SH);
    fdinfo_locks("fdinfo locks posix", a);
    fdinfo_locks("fdinfo locks ofd+flock", b);
    l = (struct flock){.l_type = F_UNLCK, .l_whence = SEEK_SET, .l_start = 12, .l_len = 1};
    fcntl(a, F_SETLK, &l);
    fdinfo_locks("fdinfo locks split", a);
    close(a);
    close(b);
}

static void fd_files(char *scratch) {
    char path[4200];
    mkdir(scratch, 0755);
    snprintf(path, sizeof path, "%s/f", scratch);
    int f = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    write(f, "hello world", 11);
    lseek(f, 5, SEEK_SET);
    fdinfo("fdinfo file cloexec", f, POSFLAGS, NULL);
    fcntl(f, F_SETFD, 0);
    fdinfo("fdinfo file no cloexec", f, POSFLAGS, NULL);
    int a = open(path, O_WRONLY | O_APPEND);
    fdinfo("fdinfo append", a, POSFLAGS, NULL);
    fdinfo("fdinfo head", a, ALLHEAD, "\t");
    int dd = open(scratch, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    fdinfo("fdinfo directory", dd, POSFLAGS, NULL);
    close(dd);
    int op = open(path, O_PATH | O_NOFOLLOW);
    fdinfo("fdinfo O_PATH", op, POSFLAGS, NULL);
    close(op);
    int p[2];
    pipe2(p, O_NONBLOCK);
    fdinfo("fdinfo pipe read", p[0], POSFLAGS, NULL);
    fdinfo("fdinfo pipe write", p[1], POSFLAGS, NULL);

    int e = eventfd(3, EFD_SEMAPHORE | EFD_CLOEXEC);
    uint64_t v = 0x1234;
    write(e, &v, 8);
    const char *const ev[] = {"pos:", "flags:", "eventfd-count:", "eventfd-semaphore:", NULL};
    fdinfo("fdinfo eventfd", e, ev, NULL);

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGKILL);
    sigaddset(&set, SIGRTMIN + 1);
    int s = signalfd(-1, &set, SFD_NONBLOCK);
    const char *const sg[] = {"flags:", "sigmask:", NULL};
    fdinfo("fdinfo signalfd", s, sg, NULL);

    /* one target per epoll: Linux lists several in the order of their files' addresses */
    int ep = epoll_create1(0), ep2 = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ee = {.events = EPOLLIN | EPOLLET, .data.u64 = 0xabcdef};
    epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ee);
    ee.events = EPOLLIN | EPOLLONESHOT;
    ee.data.u64 = 7;
    epoll_ctl(ep2, EPOLL_CTL_ADD, e, &ee);
    const char *const tfd[] = {"flags:", "tfd:", NULL};
    fdinfo("fdinfo epoll", ep, tfd, " ino:");
    fdinfo("fdinfo epoll oneshot", ep2, tfd, " ino:");
    struct epoll_event out[4];
    printf("epoll_wait: %d\n", epoll_wait(ep2, out, 4, 0));
    fdinfo("fdinfo epoll after oneshot", ep2, tfd, " ino:");

    int in = inotify_init1(IN_NONBLOCK);
    inotify_add_watch(in, scratch, IN_CREATE | IN_DELETE);
    inotify_add_watch(in, path, IN_MODIFY | IN_ONESHOT);
    const char *const ino[] = {"flags:", "inotify", NULL};
    fdinfo("fdinfo inotify", in, ino, " ino:");
    slurp((snprintf(path, sizeof path, "/proc/self/fdinfo/%d", in), path));
    for (char *m = strstr(text, " mask:"); m; m = strstr(m + 1, " mask:"))
        printf("fdinfo inotify mask:%.*s\n", (int)strcspn(m + 6, " "), m + 6);
    /* (the mask fields alone: the ino/sdev/fhandle fields vary) */

    int tf = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    const char *const tm[] = {"clockid:", "ticks:", "settime flags:", "it_value:",
                              "it_interval:", NULL};
    fdinfo("fdinfo timerfd idle", tf, tm, NULL);
    struct itimerspec its = {.it_value = {0, 1000000}};
    timerfd_settime(tf, 0, &its, NULL);
    usleep(50000);
    const char *const tm2[] = {"ticks:", "settime flags:", "it_value:", "it_interval:", NULL};
    fdinfo("fdinfo timerfd fired", tf, tm2, NULL);
    struct itimerspec abs = {.it_interval = {2, 500}};
    clock_gettime(CLOCK_REALTIME, &abs.it_value);
    abs.it_value.tv_sec += 1000;
    int tr = timerfd_create(CLOCK_REALTIME, 0);
    timerfd_settime(tr, TFD_TIMER_ABSTIME, &abs, NULL);
    const char *const tm3[] = {"clockid:", "settime flags:", "it_interval:", NULL};
    fdinfo("fdinfo timerfd abs", tr, tm3, NULL);

    int pf = syscall(SYS_pidfd_open, getpid(), 0);
    char want[64];
    snprintf(want, sizeof want, "Pid:\t%d", getpid());
    slurp((snprintf(path, sizeof path, "/proc/self/fdinfo/%d", pf), path));
    YESNO("fdinfo pidfd names us", strstr(text, want) != NULL);
    int pt = syscall(SYS_pidfd_open, getpid(), O_EXCL); /* PIDFD_THREAD */
    fdinfo("fdinfo pidfd thread", pt, (const char *const[]){"flags:", NULL}, NULL);
    close(pt);
    pid_t c = fork();
    if (c == 0)
        _exit(0);
    int cf = syscall(SYS_pidfd_open, c, 0);
    waitpid(c, NULL, 0);
    fdinfo("fdinfo pidfd reaped", cf, (const char *const[]){"Pid:", "NSpid:", NULL}, NULL);

    snprintf(path, sizeof path, "%s/f", scratch);
    locks(path);

    /* a closed fd, and the listing: exactly the open fds */
    close(a);
    snprintf(path, sizeof path, "/proc/self/fdinfo/%d", a);
    SHOW("fdinfo closed open", open(path, O_RDONLY));
    int same = 1, n = 0;
    DIR *d = opendir("/proc/self/fdinfo");
    int dfd = dirfd(d);
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        int fd = atoi(de->d_name);
        n++;
        if (fd != dfd && fcntl(fd, F_GETFD) < 0)
            same = 0;
        if (fd == a && fd != dfd)  /* (opendir may take the number a had) */
            same = 0;
    }
    closedir(d);
    YESNO("fdinfo listing is the open fds", same && n > 5);
    char tpath[128];
    snprintf(tpath, sizeof tpath, "/proc/self/task/%d/fdinfo/%d", (int)syscall(SYS_gettid), f);
    slurp(tpath);
    YESNO("fdinfo via task", strncmp(text, "pos:\t5\nflags:\t0100002\n", 21) == 0);
    struct stat st;
    stat("/proc/self/fdinfo", &st);
    printf("fdinfo dir mode: %o\n", st.st_mode);
    snprintf(path, sizeof path, "/proc/self/fdinfo/%d", f);
    stat(path, &st);
    printf("fdinfo file mode: %o\n", st.st_mode);

    /* another user may not read our fds */
    pid_t parent = getpid();
    c = fork();
    if (c == 0) {
        if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
            _exit(1);
        snprintf(path, sizeof path, "/proc/%d/fdinfo/%d", parent, f);
        SHOW("fdinfo other user open", open(path, O_RDONLY));
        snprintf(path, sizeof path, "/proc/%d/fdinfo", parent);
        SHOW("fdinfo other user dir", open(path, O_RDONLY | O_DIRECTORY));
        fflush(stdout);
        _exit(0);
    }
    waitpid(c, NULL, 0);
}

static void limits(void) {
    struct rlimit r = {64, 128};
    setrlimit(RLIMIT_NOFILE, &r);
    r = (struct rlimit){0, 4096};
    setrlimit(RLIMIT_CORE, &r);
    r = (struct rlimit){1000, 2000};
    setrlimit(RLIMIT_MSGQUEUE, &r);
    r = (struct rlimit){5, 5};
    setrlimit(RLIMIT_NICE, &r);
    getrlimit(RLIMIT_CPU, &r);
    int cpu_inf = r.rlim_max == RLIM_INFINITY;
    if (cpu_inf) {
        r.rlim_cur = RLIM_INFINITY;
        setrlimit(RLIMIT_CPU, &r);
    }
    if (slurp("/proc/self/limits") < 0) {
        printf("limits: -1 %s\n", probe_errname(errno));
        return;
    }
    int rows = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"), rows++) {
        if (rows == 0 || !strncmp(line, "Max open files ", 15) ||
            !strncmp(line, "Max core file size ", 19) ||
            !strncmp(line, "Max msgqueue size ", 18) ||
            !strncmp(line, "Max nice priority ", 18) ||
            (cpu_inf && !strncmp(line, "Max cpu time ", 13)))
            printf("limits row: \"%s\"\n", line);
        else
            printf("limits name: %.25s\n", line);
    }
    printf("limits rows: %d\n", rows);
}

static char mnt_points[64][256], mnt_types[64][64], mnt_srcs[64][256];

static void mountinfo(void) {
    int nm = 0;
    if (slurp("/proc/self/mounts") < 0)
        return;
    for (char *line = strtok(text, "\n"); line && nm < 64; line = strtok(NULL, "\n"), nm++)
        sscanf(line, "%255s %255s %63s", mnt_srcs[nm], mnt_points[nm], mnt_types[nm]);
    if (slurp("/proc/self/mountinfo") < 0) {
        printf("mountinfo: -1 %s\n", probe_errname(errno));
        return;
    }
    int n = 0, shape = 1, root_line = 0, same = 1, ids_unique = 1, parents_known = 1;
    int ids[64], parents[64], root_id = -1;
    char *save;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *f[32];
        int nf = 0;
        for (char *w = strtok(line, " "); w && nf < 32; w = strtok(NULL, " "))
            f[nf++] = w;
        int dash = -1;
        for (int i = 6; i < nf; i++)
            if (!strcmp(f[i], "-")) {
                dash = i;
                break;
            }
        unsigned ma, mi;
        if (nf < 10 || dash < 0 || nf - dash != 4 || sscanf(f[2], "%u:%u", &ma, &mi) != 2 ||
            f[3][0] != '/' || f[4][0] != '/' ||
            (strncmp(f[5], "rw", 2) && strncmp(f[5], "ro", 2))) {
            shape = 0;
            continue;
        }
        if (n < 64) {
            ids[n] = atoi(f[0]);
            parents[n] = atoi(f[1]);
            if (!strcmp(f[4], "/"))
                root_line++, root_id = ids[n];
            if (n >= nm || strcmp(f[4], mnt_points[n]) || strcmp(f[dash + 1], mnt_types[n]) ||
                strcmp(f[dash + 2], mnt_srcs[n]))
                same = 0;
        }
        n++;
    }
    for (int i = 0; i < n && i < 64; i++) {
        int known = ids[i] == root_id;
        for (int j = 0; j < n && j < 64; j++) {
            if (j != i && ids[j] == ids[i])
                ids_unique = 0;
            if (ids[j] == parents[i])
                known = 1;
        }
        if (!known)
            parents_known = 0;
    }
    YESNO("mountinfo line shape", shape && n > 0);
    printf("mountinfo root lines: %d\n", root_line);
    YESNO("mountinfo lines match mounts (order, point, type, source)", same && n == nm);
    YESNO("mountinfo ids unique", ids_unique);
    YESNO("mountinfo parents are mounts (but the root's)", parents_known);
}

static long sysval(const char *name) {
    char path[128];
    snprintf(path, sizeof path, "/proc/sys/%s", name);
    if (slurp(path) < 0)
        return -errno;
    struct stat st;
    stat(path, &st);
    printf("sysctl %s mode: %o\n", name, st.st_mode & 07777);
    return atol(text);
}

static void sysctls(void) {
    long pid_max = sysval("kernel/pid_max");
    YESNO("sysctl pid_max in Linux's range", pid_max >= 301 && pid_max <= 4194304);
    YESNO("sysctl pid_max above our pid", getpid() < pid_max);
    long threads = sysval("kernel/threads-max");
    YESNO("sysctl threads-max positive", threads > 0);
    long fmax = sysval("fs/file-max");
    YESNO("sysctl file-max positive", fmax > 0);
    long nr_open = sysval("fs/nr_open");
    pid_t c = fork();
    if (c == 0) {
        struct rlimit r = {nr_open, nr_open};
        SHOW("setrlimit NOFILE nr_open", setrlimit(RLIMIT_NOFILE, &r));
        r.rlim_max = r.rlim_cur = nr_open + 1;
        SHOW("setrlimit NOFILE nr_open+1", setrlimit(RLIMIT_NOFILE, &r));
        fflush(stdout);
        _exit(0);
    }
    waitpid(c, NULL, 0);
    long ngroups = sysval("kernel/ngroups_max");
    YESNO("sysctl ngroups_max is sysconf's", ngroups == sysconf(_SC_NGROUPS_MAX));
    c = fork();
    if (c == 0) {
        static gid_t g[1 << 17];
        SHOW("setgroups ngroups_max+1", setgroups(ngroups + 1, g));
        fflush(stdout);
        _exit(0);
    }
    waitpid(c, NULL, 0);
    long last = sysval("kernel/cap_last_cap");
    SHOW("prctl CAPBSET_READ cap_last_cap", prctl(PR_CAPBSET_READ, last, 0, 0, 0) >= 0);
    SHOW("prctl CAPBSET_READ cap_last_cap+1", prctl(PR_CAPBSET_READ, last + 1, 0, 0, 0));
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc < 2)
        return 2;
    sysctls();
    fd_files(argv[1]);
    mountinfo();
    limits();
    return 0;
}
