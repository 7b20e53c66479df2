// Nice values (getpriority, setpriority) and scheduling policies (sched_*): per thread,
// inherited by fork, with Linux's permission checks (RLIMIT_NICE, RLIMIT_RTPRIO,
// CAP_SYS_NICE) and errno cases.
// covers: getpriority, setpriority, sched_getscheduler, sched_setscheduler, sched_getparam, sched_setparam, sched_get_priority_max, sched_get_priority_min, sched_rr_get_interval
// area: processes
#include "probe.h"
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* The raw calls: glibc's getpriority returns 20 - the kernel's value, as we print. */
static long getprio(int which, int who) { return syscall(SYS_getpriority, which, who); }

int main(void) {
    SHOW("getpriority(PRIO_PROCESS, 0)", getprio(PRIO_PROCESS, 0));
    SHOW("setpriority(PRIO_PROCESS, 0, 5)", setpriority(PRIO_PROCESS, 0, 5));
    SHOW("getpriority after nice 5", getprio(PRIO_PROCESS, 0));
    SHOW("setpriority(PRIO_PROCESS, 0, 100) (clamped)", setpriority(PRIO_PROCESS, 0, 100));
    SHOW("getpriority after nice 100", getprio(PRIO_PROCESS, 0));
    SHOW("getpriority(bad which)", getprio(7, 0));
    SHOW("getpriority(no such pid)", getprio(PRIO_PROCESS, 99999));
    SHOW("setpriority(bad which)", setpriority(7, 0, 0));
    SHOW("setpriority(no such pid)", setpriority(PRIO_PROCESS, 99999, 0));
    SHOW("setpriority(PRIO_PROCESS, 0, 3)", setpriority(PRIO_PROCESS, 0, 3));

    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        SHOW("child: getpriority (inherited)", getprio(PRIO_PROCESS, 0));
        setpgid(0, 0); /* a group of its own: PRIO_PGRP sees only this process */
        SHOW("child: setpriority(PRIO_PGRP, 0, 8)", setpriority(PRIO_PGRP, 0, 8));
        SHOW("child: getpriority(PRIO_PGRP, 0)", getprio(PRIO_PGRP, 0));
        SHOW("child: getpriority(PRIO_PROCESS, 0) after PRIO_PGRP", getprio(PRIO_PROCESS, 0));
        struct rlimit nice = {0, 0};
        setrlimit(RLIMIT_NICE, &nice);
        setuid(65534);
        SHOW("child as nobody: setpriority(+10)", setpriority(PRIO_PROCESS, 0, 10));
        SHOW("child as nobody: setpriority(back to 0)", setpriority(PRIO_PROCESS, 0, 0));
        SHOW("child as nobody: setpriority of its parent", setpriority(PRIO_PROCESS, getppid(), 10));
        SHOW("child as nobody: sched_setscheduler(SCHED_FIFO)",
             sched_setscheduler(0, SCHED_FIFO, &(struct sched_param){.sched_priority = 1}));
        SHOW("child as nobody: sched_setscheduler(SCHED_BATCH)",
             sched_setscheduler(0, SCHED_BATCH, &(struct sched_param){0}));
        SHOW("child as nobody: sched_getscheduler", sched_getscheduler(0));
        fflush(stdout);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    SHOW("getpriority(PRIO_PROCESS, 0) after the child", getprio(PRIO_PROCESS, 0));

    SHOW("sched_getscheduler(0)", sched_getscheduler(0));
    SHOW("sched_getscheduler(-1)", sched_getscheduler(-1));
    SHOW("sched_getscheduler(no such pid)", sched_getscheduler(99999));
    struct sched_param sp = {.sched_priority = 7};
    SHOW("sched_getparam(0)", sched_getparam(0, &sp));
    printf("sched_getparam priority: %d\n", sp.sched_priority);
    SHOW("sched_getparam(NULL)", syscall(SYS_sched_getparam, 0, NULL));
    SHOW("sched_getparam(bad pointer)", syscall(SYS_sched_getparam, 0, (void *)8));
    SHOW("sched_setscheduler(SCHED_OTHER, priority 1)",
         sched_setscheduler(0, SCHED_OTHER, &(struct sched_param){.sched_priority = 1}));
    SHOW("sched_setscheduler(bad policy)", sched_setscheduler(0, 42, &(struct sched_param){0}));
    SHOW("sched_setscheduler(SCHED_BATCH)", sched_setscheduler(0, SCHED_BATCH, &(struct sched_param){0}));
    SHOW("sched_getscheduler after SCHED_BATCH", sched_getscheduler(0));
    SHOW("sched_setscheduler(SCHED_IDLE)", sched_setscheduler(0, SCHED_IDLE, &(struct sched_param){0}));
    SHOW("sched_getscheduler after SCHED_IDLE", sched_getscheduler(0));
    SHOW("sched_setscheduler(SCHED_OTHER|SCHED_RESET_ON_FORK)",
         sched_setscheduler(0, SCHED_OTHER | SCHED_RESET_ON_FORK, &(struct sched_param){0}));
    SHOW("sched_getscheduler after RESET_ON_FORK", sched_getscheduler(0));
    SHOW("sched_setparam(priority 5) under SCHED_OTHER",
         sched_setparam(0, &(struct sched_param){.sched_priority = 5}));
    SHOW("sched_setscheduler(NULL param)", syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, NULL));
    SHOW("sched_setscheduler(SCHED_FIFO, priority 100)",
         sched_setscheduler(0, SCHED_FIFO, &(struct sched_param){.sched_priority = 100}));
    for (int pol = 0; pol <= 7; pol++) {
        char what[64];
        snprintf(what, sizeof what, "sched_get_priority_max(%d)", pol);
        SHOW(what, sched_get_priority_max(pol));
        snprintf(what, sizeof what, "sched_get_priority_min(%d)", pol);
        SHOW(what, sched_get_priority_min(pol));
    }
    struct timespec ts;
    SHOW("sched_rr_get_interval(0)", sched_rr_get_interval(0, &ts));
    SHOW("sched_rr_get_interval(-1)", sched_rr_get_interval(-1, &ts));
    SHOW("sched_rr_get_interval(no such pid)", sched_rr_get_interval(99999, &ts));
    SHOW("sched_rr_get_interval(bad pointer)", syscall(SYS_sched_rr_get_interval, 0, (void *)8));
    return 0;
}
