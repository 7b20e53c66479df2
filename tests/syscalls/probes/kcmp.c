// kcmp: shared files, address spaces, fd tables, fs contexts and signal handlers between
// the caller, a thread and a forked child; ordering; errno cases.
// covers: kcmp
// area: processes
#include "probe.h"
#include <fcntl.h>
#include <linux/kcmp.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static long kcmp(pid_t a, pid_t b, int type, long i1, long i2) {
    return syscall(SYS_kcmp, a, b, type, i1, i2);
}

static void same(const char *what, long r) {
    if (r < 0)
        printf("%s: -1 %s\n", what, probe_errname(errno));
    else
        printf("%s: %s\n", what, r == 0 ? "same" : (r == 1 || r == 2) ? "different" : "?");
}

static pid_t thread_tid;
static pthread_barrier_t bar;

static void *thread(void *arg) {
    (void)arg;
    thread_tid = syscall(SYS_gettid);
    pthread_barrier_wait(&bar);
    pthread_barrier_wait(&bar);
    return NULL;
}

int main(void) {
    pid_t me = getpid();
    int fd = open("/dev/null", O_RDONLY), dupfd = dup(fd), other = open("/dev/null", O_RDONLY);
    same("KCMP_FILE(fd, fd)", kcmp(me, me, KCMP_FILE, fd, fd));
    same("KCMP_FILE(fd, dup)", kcmp(me, me, KCMP_FILE, fd, dupfd));
    same("KCMP_FILE(fd, another open)", kcmp(me, me, KCMP_FILE, fd, other));
    long ab = kcmp(me, me, KCMP_FILE, fd, other), ba = kcmp(me, me, KCMP_FILE, other, fd);
    YESNO("KCMP_FILE order is antisymmetric", (ab == 1 && ba == 2) || (ab == 2 && ba == 1));
    SHOW("KCMP_FILE(bad fd)", kcmp(me, me, KCMP_FILE, fd, 99));
    SHOW("kcmp(no such pid)", kcmp(me, 99999, KCMP_VM, 0, 0));
    SHOW("kcmp(bad type)", kcmp(me, me, 99, 0, 0));

    pthread_barrier_init(&bar, NULL, 2);
    pthread_t th;
    pthread_create(&th, NULL, thread, NULL);
    pthread_barrier_wait(&bar);
    same("KCMP_VM(thread)", kcmp(me, thread_tid, KCMP_VM, 0, 0));
    same("KCMP_FILES(thread)", kcmp(me, thread_tid, KCMP_FILES, 0, 0));
    same("KCMP_FS(thread)", kcmp(me, thread_tid, KCMP_FS, 0, 0));
    same("KCMP_SIGHAND(thread)", kcmp(me, thread_tid, KCMP_SIGHAND, 0, 0));
    same("KCMP_FILE(thread's fd)", kcmp(me, thread_tid, KCMP_FILE, fd, fd));
    pthread_barrier_wait(&bar);
    pthread_join(th, NULL);

    fflush(stdout);
    int go[2];
    pipe(go);
    pid_t child = fork();
    if (child == 0) {
        char c;
        read(go[0], &c, 1);
        _exit(0);
    }
    same("KCMP_VM(child)", kcmp(me, child, KCMP_VM, 0, 0));
    same("KCMP_FILES(child)", kcmp(me, child, KCMP_FILES, 0, 0));
    same("KCMP_FS(child)", kcmp(me, child, KCMP_FS, 0, 0));
    same("KCMP_SIGHAND(child)", kcmp(me, child, KCMP_SIGHAND, 0, 0));
    same("KCMP_SYSVSEM(child)", kcmp(me, child, KCMP_SYSVSEM, 0, 0));
    same("KCMP_FILE(child's inherited fd)", kcmp(me, child, KCMP_FILE, fd, fd));
    fflush(stdout);
    pid_t nobody = fork();
    if (nobody == 0) {
        setuid(65534);
        SHOW("kcmp as nobody of root's processes", kcmp(me, child, KCMP_VM, 0, 0));
        fflush(stdout);
        _exit(0);
    }
    waitpid(nobody, NULL, 0);
    write(go[1], "x", 1);
    waitpid(child, NULL, 0);
    return 0;
}
