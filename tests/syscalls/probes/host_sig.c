// Signal, time and thread-state calls the host runs for the task (the allow-list): masks,
// pending sets, sigtimedwait, sigsuspend, an alternate stack, handlers returning
// (rt_sigreturn), sleeps, time reads, futex on own memory, arch_prctl, rseq, getcpu.
// covers: rt_sigprocmask, rt_sigaction, rt_sigreturn, rt_sigpending, rt_sigtimedwait, rt_sigsuspend, sigaltstack, nanosleep, sched_yield, gettimeofday, time, futex, arch_prctl, getcpu, set_robust_list, rseq
// area: signals and time
#include "probe.h"
#include <asm/prctl.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t got, on_alt;
static char altstack[1 << 16];

static void handler(int sig) {
    char here;
    got = sig;
    on_alt = &here >= altstack && &here < altstack + sizeof altstack;
}

int main(void) {
    sigset_t set, old, pend;
    struct sigaction sa = {.sa_handler = handler};
    SHOW("rt_sigaction(SIGUSR1)", sigaction(SIGUSR1, &sa, NULL));
    SHOW("rt_sigaction(SIGKILL)", sigaction(SIGKILL, &sa, NULL));
    SHOW("rt_sigaction(bad sigsetsize)", syscall(SYS_rt_sigaction, SIGUSR1, NULL, NULL, 4));
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    SHOW("rt_sigprocmask(BLOCK USR1)", sigprocmask(SIG_BLOCK, &set, &old));
    SHOW("rt_sigprocmask(bad how)", syscall(SYS_rt_sigprocmask, 99, &set, NULL, 8));
    SHOW("kill(self, USR1) while blocked", kill(getpid(), SIGUSR1));
    printf("handler ran: %d\n", got);
    SHOW("rt_sigpending", sigpending(&pend));
    YESNO("USR1 pending", sigismember(&pend, SIGUSR1));
    siginfo_t si;
    struct timespec ts = {1, 0};
    SHOW("rt_sigtimedwait(USR1)", sigtimedwait(&set, &si, &ts));
    printf("si_signo=%d si_code=%d\n", si.si_signo, si.si_code);
    ts = (struct timespec){0, 10000000};
    SHOW("rt_sigtimedwait(nothing, 10ms)", sigtimedwait(&set, &si, &ts));
    kill(getpid(), SIGUSR1);
    sigset_t none;
    sigemptyset(&none);
    SHOW("rt_sigsuspend(empty mask) -> handler", sigsuspend(&none));
    printf("handler ran: %d\n", got);

    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack}, oss;
    SHOW("sigaltstack(set)", sigaltstack(&ss, &oss));
    SHOW("sigaltstack(too small)", sigaltstack(&(stack_t){.ss_sp = altstack, .ss_size = 64}, NULL));
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGUSR2, &sa, NULL);
    got = 0;
    raise(SIGUSR2);
    printf("USR2 handled: %d on the alternate stack: %s\n", got, on_alt ? "yes" : "no");
    sigprocmask(SIG_SETMASK, &old, NULL);

    SHOW("nanosleep(1ms)", syscall(SYS_nanosleep, &(struct timespec){0, 1000000}, NULL));
    SHOW("nanosleep(bad nsec)", syscall(SYS_nanosleep, &(struct timespec){0, 1000000000}, NULL));
    SHOW("sched_yield", sched_yield());
    struct timeval tv;
    SHOW("gettimeofday (syscall)", syscall(SYS_gettimeofday, &tv, NULL));
    long t = syscall(SYS_time, NULL);
    YESNO("time agrees with gettimeofday", t - tv.tv_sec >= 0 && t - tv.tv_sec < 60);
    SHOW("gettimeofday(bad ptr)", syscall(SYS_gettimeofday, (void *)8, NULL));

    uint32_t word = 5;
    SHOW("futex(WAIT, wrong value)", syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 4, NULL));
    ts = (struct timespec){0, 5000000};
    SHOW("futex(WAIT, 5ms timeout)", syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 5, &ts));
    SHOW("futex(WAKE, none waiting)", syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1));
    SHOW("futex(bad op)", syscall(SYS_futex, &word, 99, 0));
    SHOW("futex(bad address)", syscall(SYS_futex, (void *)8, FUTEX_WAIT_PRIVATE, 0, NULL));

    unsigned long fs = 0;
    SHOW("arch_prctl(ARCH_GET_FS)", syscall(SYS_arch_prctl, ARCH_GET_FS, &fs));
    YESNO("fs base set", fs != 0);
    SHOW("arch_prctl(bad code)", syscall(SYS_arch_prctl, 0x9999, &fs));
    unsigned cpu = 999;
    SHOW("getcpu", syscall(SYS_getcpu, &cpu, NULL, NULL));
    YESNO("cpu in range", cpu < 4096);
    SHOW("set_robust_list(bad len)", syscall(SYS_set_robust_list, NULL, 1));
    SHOW("rseq(NULL, 0, bad flags)", syscall(SYS_rseq, NULL, 0, 0x100, 0));
    return 0;
}
