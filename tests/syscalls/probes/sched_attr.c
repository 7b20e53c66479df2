// sched_setattr and sched_getattr: the nice value through them, SCHED_DEADLINE's
// parameters and their checks, KEEP_POLICY/KEEP_PARAMS, the size protocol (E2BIG), and
// permissions.
// covers: sched_setattr, sched_getattr
// area: processes
#include "probe.h"
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

struct attr { uint32_t size, policy; uint64_t flags; int32_t nice; uint32_t prio;
              uint64_t runtime, deadline, period; uint32_t umin, umax; };

static long set(struct attr *a) { return syscall(SYS_sched_setattr, 0, a, 0); }

static void show_attr(const char *what) {
    struct attr a;
    memset(&a, 0x55, sizeof a);
    long r = syscall(SYS_sched_getattr, 0, &a, sizeof a, 0);
    if (r < 0) {
        printf("%s: -1 %s\n", what, probe_errname(errno));
        return;
    }
    printf("%s: size %u policy %u flags %lx nice %d prio %u dl %lu/%lu/%lu util %u/%u\n", what,
           a.size, a.policy, (unsigned long)a.flags, a.nice, a.prio, (unsigned long)a.runtime,
           (unsigned long)a.deadline, (unsigned long)a.period, a.umin, a.umax);
}

int main(void) {
    show_attr("sched_getattr");
    struct attr a = {.size = 48, .policy = 0, .nice = 4};
    SHOW("sched_setattr(SCHED_OTHER, nice 4)", set(&a));
    show_attr("after");
    SHOW("getpriority", syscall(SYS_getpriority, 0, 0));
    struct attr u = {.size = 56, .flags = 0x20, .umin = 100};
    SHOW("sched_setattr(util clamp)", set(&u));
    struct attr u48 = {.size = 48, .flags = 0x20};
    SHOW("sched_setattr(util clamp, size 48)", set(&u48));
    struct attr bad = {.size = 48, .flags = 0x1000};
    SHOW("sched_setattr(unknown flag)", set(&bad));
    struct attr small = {.size = 8};
    SHOW("sched_setattr(size 8)", set(&small));
    printf("size written back: %u\n", small.size);
    SHOW("sched_setattr(NULL)", syscall(SYS_sched_setattr, 0, NULL, 0));
    SHOW("sched_setattr(flags 1)", syscall(SYS_sched_setattr, 0, &a, 1));
    SHOW("sched_getattr(size 40)", syscall(SYS_sched_getattr, 0, &a, 40, 0));
    SHOW("sched_getattr(no such pid)", syscall(SYS_sched_getattr, 99999, &a, sizeof a, 0));
    struct attr dl = {.size = 48, .policy = 6, .runtime = 10000000, .deadline = 30000000,
                      .period = 30000000};
    struct attr dlbad = dl;
    dlbad.runtime = 40000000;
    SHOW("sched_setattr(SCHED_DEADLINE, runtime > deadline)", set(&dlbad));
    dlbad = dl;
    dlbad.period = 10000;
    SHOW("sched_setattr(SCHED_DEADLINE, period too short)", set(&dlbad));
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        setuid(65534);
        SHOW("sched_setattr(SCHED_DEADLINE) as nobody", set(&dl));
        struct attr raise = {.size = 48, .policy = 0, .nice = 0};
        SHOW("sched_setattr(nice back to 0) as nobody", set(&raise));
        fflush(stdout);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    SHOW("sched_setattr(SCHED_DEADLINE)", set(&dl));
    show_attr("after SCHED_DEADLINE");
    struct attr keep = {.size = 48, .policy = 0, .flags = 0x08 | 0x10};
    SHOW("sched_setattr(KEEP_POLICY|KEEP_PARAMS)", set(&keep));
    show_attr("unchanged");
    struct attr back = {.size = 48, .policy = 0, .nice = 0};
    SHOW("sched_setattr(back to SCHED_OTHER)", set(&back));
    show_attr("at the end");
    return 0;
}
