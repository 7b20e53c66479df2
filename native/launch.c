/*
 * The launcher: starts the sandbox's first task.
 *
 * The Sentry clones a child into new PID, mount, IPC, UTS (and network) namespaces and
 * seizes it with ptrace before it runs anything of its own. The child then, in order:
 * resets signals, makes its root an empty read-only tmpfs (pivot_root), closes every fd but
 * the stub's memfd, drops the capability bounding set, its ids and capabilities, sets
 * no_new_privs, installs the seccomp filter (with a listener) and execs the stub from the
 * memfd. That execveat is in the filter's TRACE lane, so the Sentry sees it stopped before
 * the stub runs; the listener's fd number rides in r9 (execveat has five arguments), the
 * Sentry copies it with pidfd_getfd, and exec closes the task's own copy (O_CLOEXEC): the
 * workload never holds a listener that could answer its own notifications.
 *
 * A failure in the child exits with ST_LAUNCH_FAIL + step, which the Sentry reports.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/ptrace.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "trap.h"

#define ST_LAUNCH_FAIL 200
#define ST_WAIT_KILLABLE_RECV (1UL << 5) /* SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV */

#define PT_SEIZE 0x4206
#define PT_OPTIONS                                                                          \
    (PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK |                      \
     PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC | PTRACE_O_TRACESECCOMP | PTRACE_O_EXITKILL)
extern long ptrace(int request, ...);

struct child_arg {
    const struct st_launch_cfg *cfg;
    int go_fd;
    pid_t parent;
};

static void fail(int step) { _exit(ST_LAUNCH_FAIL + step); }

static void reset_signals(void) {
    sigset_t none;
    sigemptyset(&none);
    for (int s = 1; s < NSIG; s++)
        if (s != SIGKILL && s != SIGSTOP) signal(s, SIG_DFL);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

static void empty_root(const char *dir) {
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) fail(3);
    if (mount("runsc-empty", dir, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,mode=0555") < 0)
        fail(4);
    if (chdir(dir) < 0) fail(5);
    if (syscall(SYS_pivot_root, ".", ".") < 0) fail(6);
    if (umount2(".", MNT_DETACH) < 0) fail(7);
    if (chdir("/") < 0) fail(8);
    if (mount(NULL, "/", NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
        fail(9);
}

static void drop_privileges(const struct st_launch_cfg *cfg) {
    struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct d[2];
    for (int cap = 0; cap < 64; cap++)
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL) fail(11);
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) fail(12);
    if (cfg->flags & ST_LAUNCH_DROP_IDS) {
        if (setgroups(0, NULL) < 0) fail(13);
        if (setresgid(cfg->gid, cfg->gid, cfg->gid) < 0) fail(14);
        if (setresuid(cfg->uid, cfg->uid, cfg->uid) < 0) fail(15);
    }
    memset(d, 0, sizeof d);
    if (syscall(SYS_capset, &h, d) < 0) fail(16);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) fail(17);
}

static int child_main(void *p) {
    struct child_arg *a = p;
    const struct st_launch_cfg *cfg = a->cfg;
    char c;
    reset_signals();
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) fail(1);
    /* Wait until the Sentry has seized us (or died: then read sees EOF). */
    if (read(a->go_fd, &c, 1) != 1) fail(2);
    empty_root(cfg->empty_dir);
    if (cfg->hostname && sethostname(cfg->hostname, strlen(cfg->hostname)) < 0) fail(10);
    /* Keep only the stub, on ST_STUB_SLOT and not close-on-exec: every task inherits it,
     * so an exec finds it there (Platform.donate_stub); the fd table is empty otherwise. */
    if (cfg->stub_fd != ST_STUB_SLOT && dup2(cfg->stub_fd, ST_STUB_SLOT) < 0) fail(18);
    if (fcntl(ST_STUB_SLOT, F_SETFD, 0) < 0) fail(18);
    if (syscall(SYS_close_range, 0, ST_STUB_SLOT - 1, 0) < 0) fail(19);
    if (syscall(SYS_close_range, ST_STUB_SLOT + 1, ~0U, 0) < 0) fail(19);
    drop_privileges(cfg);
    struct sock_fprog prog = {.len = (unsigned short)cfg->bpf_len,
                              .filter = (struct sock_filter *)cfg->bpf};
    /* WAIT_KILLABLE_RECV (Linux 5.19): once the Sentry has received a call, only a fatal
     * signal interrupts it, so a call the Sentry carried out is never restarted and done
     * twice; the Sentry interrupts the calls it parks itself (-ERESTARTSYS). */
    long lfd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                       SECCOMP_FILTER_FLAG_NEW_LISTENER | ST_WAIT_KILLABLE_RECV, &prog);
    if (lfd < 0 && errno == EINVAL)
        lfd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER,
                      &prog);
    if (lfd < 0) fail(20);
    char *argv[] = {"runsc-stub", NULL}, *envp[] = {NULL};
    syscall(SYS_execveat, ST_STUB_SLOT, "", argv, envp, AT_EMPTY_PATH, lfd);
    fail(21);
    return 0;
}

int st_launch(const struct st_launch_cfg *cfg) {
    int go[2];
    const size_t stack_size = 256 * 1024;
    if (pipe2(go, O_CLOEXEC) < 0) return -errno;
    char *stack = malloc(stack_size);
    if (!stack) return -ENOMEM;
    struct child_arg arg = {.cfg = cfg, .go_fd = go[0], .parent = getpid()};
    int flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | SIGCHLD;
    if (cfg->flags & ST_LAUNCH_NEWNET) flags |= CLONE_NEWNET;
    pid_t pid = clone(child_main, stack + stack_size, flags, &arg);
    int e = errno;
    free(stack); /* the child has its own copy of the address space */
    close(go[0]);
    if (pid < 0) {
        close(go[1]);
        return -e;
    }
    if (ptrace(PT_SEIZE, pid, 0, (long)PT_OPTIONS) < 0) {
        e = errno;
        kill(pid, SIGKILL);
        waitpid(pid, NULL, __WALL);
        close(go[1]);
        return -e;
    }
    if (write(go[1], "g", 1) != 1) {
        e = errno;
        close(go[1]);
        return -e;
    }
    close(go[1]);
    return pid;
}
