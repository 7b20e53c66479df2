// Thread end and sleep restart, the host rows no other probe makes: exit (one thread, and the
// last thread of a process), set_tid_address (its return value, the clear-tid word zeroed and
// woken when the thread exits) and restart_syscall (called directly, and the kernel's own
// restart of a relative nanosleep across SIGSTOP/SIGCONT, which has no handler to run).
// covers: exit, set_tid_address, restart_syscall, nanosleep
// area: processes and credentials
#include "probe.h"
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint32_t tid_word = 1;
static long seen_ret, seen_tid;

static void *thread_main(void *arg) {
    (void)arg;
    seen_tid = syscall(SYS_gettid);
    seen_ret = syscall(SYS_set_tid_address, &tid_word);
    __atomic_store_n(&tid_word, (uint32_t)seen_tid, __ATOMIC_SEQ_CST);
    syscall(SYS_exit, 7);  // ends this thread only; glibc never learns (detached, see main)
    return NULL;
}

static void thread_exit(void) {
    pthread_t th;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    SHOW("pthread_create", pthread_create(&th, &attr, thread_main, NULL));
    /* The kernel zeroes the word and does FUTEX_WAKE on it when the thread is gone. */
    struct timespec ts = {5, 0};
    int rounds = 0;
    for (uint32_t v; (v = __atomic_load_n(&tid_word, __ATOMIC_SEQ_CST)) != 0 && rounds < 20;
         rounds++)
        syscall(SYS_futex, &tid_word, FUTEX_WAIT, v, &ts, NULL, 0);
    printf("set_tid_address: clear-tid word after the thread's exit: %u\n", tid_word);
    YESNO("set_tid_address returned the caller's tid", seen_ret == seen_tid && seen_tid > 0);
    YESNO("exit(thread) left the process running", 1);
    SHOW("set_tid_address(NULL) in main", syscall(SYS_set_tid_address, NULL) == getpid());
}

static void last_thread_exit(void) {
    pid_t pid = fork();
    if (pid == 0)
        syscall(SYS_exit, 42);  // the only thread: the process ends with this status
    int st = 0;
    SHOW("exit(42) of a single-threaded child: waitpid", waitpid(pid, &st, 0) == pid);
    printf("exit(42): exited=%d status=%d\n", WIFEXITED(st), WEXITSTATUS(st));
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void restart(void) {
    /* With no restart pending, the kernel's restart block answers EINTR. */
    SHOW("restart_syscall(nothing to restart)", syscall(SYS_restart_syscall));
    int p[2];
    if (pipe(p) != 0)
        return;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        double t0 = now();
        struct timespec req = {1, 0}, rem = {0, 0};
        if (write(p[1], "x", 1) != 1)
            _exit(3);
        /* Stopped and continued: no handler runs, so the kernel restarts the sleep
         * (restart_syscall) for the time left and it returns 0, not EINTR. */
        long r = syscall(SYS_nanosleep, &req, &rem);
        printf("nanosleep(1 s) across SIGSTOP/SIGCONT (restart_syscall): %ld%s%s\n", r,
               r ? " " : "", r ? probe_errname(errno) : "");
        YESNO("nanosleep, restart_syscall: slept the whole second", now() - t0 >= 0.99);
        fflush(stdout);
        _exit(0);
    }
    close(p[1]);
    char c;
    SHOW("child ready", read(p[0], &c, 1));
    usleep(150000);  // the child is in nanosleep by now (if not, the output is the same)
    /* Results are printed after the child's lines are out (the child prints once continued). */
    int st = 0;
    long stop = kill(pid, SIGSTOP);
    int stopped = waitpid(pid, &st, WUNTRACED) == pid && WIFSTOPPED(st);
    long cont = kill(pid, SIGCONT);
    int reaped = waitpid(pid, &st, 0) == pid;
    printf("kill(SIGSTOP): %ld, stopped: %s, kill(SIGCONT): %ld, reaped: %s\n", stop,
           stopped ? "yes" : "no", cont, reaped ? "yes" : "no");
    printf("child: exited=%d status=%d\n", WIFEXITED(st), WEXITSTATUS(st));
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    thread_exit();
    last_thread_exit();
    restart();
    return 0;
}
