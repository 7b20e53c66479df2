/*
 * The Sentry's trap loop: waiting for stops and notifications, registers, memory copies
 * and syscall injection. Semantics live in Python; this file only moves events and bytes.
 *
 * Host quirks written down where they bite:
 * - SIGCHLD is coalesced: after reading the signalfd, drain waitpid(WNOHANG) until 0,
 *   reading the signalfd first so a stop that lands mid-drain raises it again.
 * - SECCOMP_IOCTL_NOTIF_RECV has no non-blocking mode: call it only when epoll says the
 *   listener is readable, and zero its buffer before every call.
 * - A new thread's first stop may arrive before its parent's clone event: events carry
 *   host tids the Python side may not know yet.
 * - At a seccomp stop, a changed syscall number is re-checked by the filter (TRACE then
 *   counts as allow, USER_NOTIF still notifies).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/kcmp.h>
#include <linux/ptrace.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <setjmp.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "trap.h"

/* <sys/ptrace.h> clashes with <linux/ptrace.h>; declare what we use. */
extern long ptrace(int request, ...);
#define PT_GETREGS 12
#define PT_SETREGS 13
#define PT_POKEUSER 6
#define PT_CONT 7
#define PT_KILL 8
#define PT_SYSCALL 24
#define PT_SYSEMU 31
#define PT_SEIZE 0x4206
#define PT_GETSIGINFO 0x4202
#define PT_SETSIGINFO 0x4203
#define PT_GETEVENTMSG 0x4201
#define PT_INTERRUPT 0x4207
#define PT_LISTEN 0x4208
#define PT_GET_SYSCALL_INFO 0x420e
#define PT_GETSIGMASK 0x420a
#define PT_SETSIGMASK 0x420b

#ifndef ST_VERSION
#error "ST_VERSION must be defined by the build (native/build.py)"
#endif

const char *st_version(void) { return ST_VERSION; }

/* ---- notifications of other tasks met during an injection, and ready fds ---- */

#define QCAP 256

static struct seccomp_notif notifq[QCAP];
static int notifq_len;
static struct {
    int fd;
    unsigned int events;
} fdq[QCAP];
static int fdq_len;

/* Wait statuses of other tasks collected while an injection waited for its own task. A
 * dying pid-namespace init, or a thread-group leader, is not reported until the tracer
 * has reaped the tasks it waits for, so the injection cannot wait for its task alone. A
 * task has at most one unreported stop or exit, so the queue is bounded by the tasks. */
static struct waitq_entry {
    int tid, status;
} *waitq;
static int waitq_len, waitq_cap;

static int epfd = -1, listener = -1, wake_pipe[2] = {-1, -1};
static int want_wait = 1, notif_ready, armed_fds;
static unsigned char armed[65536]; /* fds watched (EPOLLONESHOT) and not yet fired */

/* SIGCHLD (a tracee stopped or died): a flag; a byte on the self-pipe that sits in the
 * epoll set, only while the loop is about to block in epoll_wait (in_epoll: every other
 * time the flag is seen before the loop blocks, and the pipe's write and two reads per
 * stop are saved); and — when the loop is blocked in NOTIF_RECV on the fast path — a jump
 * out of that wait. The handler runs with SA_NODEFER so jumping leaves SIGCHLD unblocked. */
static volatile sig_atomic_t chld_pending = 1, in_recv, in_epoll, pipe_dirty;
static sigjmp_buf recv_jmp;

static void on_sigchld(int sig) {
    int e = errno;
    chld_pending = 1;
    if (in_epoll) {
        pipe_dirty = 1;
        if (write(wake_pipe[1], "c", 1) < 0) {
            /* full pipe: a wake-up is already pending */
        }
    }
    errno = e;
    if (in_recv) {
        in_recv = 0;
        siglongjmp(recv_jmp, 1);
    }
}

/* The timeout of a wait on the fast path. Blocking in NOTIF_RECV has none of its own, so a
 * POSIX timer of the loop's thread (made at its first timed wait, by that thread) sends
 * it TIMER_SIG at the nearest deadline. Without it a pending timer (a guest's sleep, the
 * 50 ms look for signals to parked tasks: sentry/kernel/kernel.py) sent every wait through
 * epoll_wait, with the listener in the epoll set: two host calls more per trapped call
 * while any task waited.
 * TIMER_SIG has SIGCHLD's handler: a wake-up that makes the loop look at everything (a
 * waitpid pass, the deadline). Two handlers that both jump out of the wait would lose
 * one's work: when both signals come at once the kernel stacks both frames, and the jump
 * of the one that runs first abandons the other before its first instruction (seen here
 * as a wait that never ended). The timer's state is known from the clock alone: it is
 * idle once its deadline has passed, and only an idle timer is armed, at least
 * ARM_MARGIN_NS ahead (timer_settime of a timer whose signal is still queued makes the
 * kernel drop that signal, and an expiry meanwhile with it). A deadline earlier than the
 * armed one, or too close, waits in epoll_wait. */
#define TIMER_SIG SIGRTMAX
#define ARM_MARGIN_NS 200000LL
static timer_t wake_timer;
static int wake_timer_state; /* 0 not made yet, 1 made, -1 cannot be made: epoll_wait */
static long long timer_deadline = -1; /* CLOCK_MONOTONIC ms it is armed for, -1 idle */

static int make_wake_timer(void) {
    struct sigaction sa;
    struct sigevent sev;
    sigset_t set;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigchld;
    sa.sa_flags = SA_RESTART | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_THREAD_ID;
    sev.sigev_signo = TIMER_SIG;
    sev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
    sigemptyset(&set);
    sigaddset(&set, TIMER_SIG);
    if (sigaction(TIMER_SIG, &sa, NULL) < 0 || sigprocmask(SIG_UNBLOCK, &set, NULL) < 0
        || timer_create(CLOCK_MONOTONIC, &sev, &wake_timer) < 0)
        return -1;
    return 1;
}

/* Before a wait on the fast path: 0 when a wake-up by `deadline` (ms; -1: none needed) is
 * armed, -1 when this wait must use epoll_wait instead. */
static int arm_wake_timer(long long deadline) {
    if (deadline < 0) return 0;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    long long now_ns = (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
    if (timer_deadline >= 0 && timer_deadline * 1000000LL <= now_ns) timer_deadline = -1;
    if (timer_deadline >= 0) return timer_deadline <= deadline ? 0 : -1;
    if (deadline * 1000000LL - now_ns < ARM_MARGIN_NS) return -1;
    if (wake_timer_state == 0) wake_timer_state = make_wake_timer();
    struct itimerspec its;
    memset(&its, 0, sizeof its);
    its.it_value.tv_sec = deadline / 1000;
    its.it_value.tv_nsec = (deadline % 1000) * 1000000;
    if (wake_timer_state < 0 || timer_settime(wake_timer, TIMER_ABSTIME, &its, NULL) < 0) {
        wake_timer_state = -1;
        return -1;
    }
    timer_deadline = deadline;
    return 0;
}

static int push_notif(const struct seccomp_notif *n) {
    if (notifq_len == QCAP) return -ENOSPC;
    notifq[notifq_len++] = *n;
    return 0;
}

static int push_wait(int tid, int status) {
    if (waitq_len == waitq_cap) {
        int cap = waitq_cap ? 2 * waitq_cap : 64;
        struct waitq_entry *q = realloc(waitq, (size_t)cap * sizeof *q);
        if (!q) return -ENOMEM;
        waitq = q, waitq_cap = cap;
    }
    waitq[waitq_len].tid = tid;
    waitq[waitq_len].status = status;
    waitq_len++;
    return 0;
}

/* waitpid(tid, st, flags | __WALL), where any other task's report met first is queued for
 * the loop. With WNOHANG, 0 when tid has nothing to report. */
static int wait_for(int tid, int *st, int flags) {
    for (;;) {
        int w = waitpid(-1, st, flags | __WALL);
        if (w <= 0 || w == tid) return w;
        int e = push_wait(w, *st);
        if (e < 0) {
            errno = -e;
            return -1;
        }
    }
}

int st_wait_task(int tid, int *status) {
    for (int i = 0; i < waitq_len; i++) {
        if (waitq[i].tid == tid) {
            *status = waitq[i].status;
            memmove(waitq + i, waitq + i + 1, (size_t)(--waitq_len - i) * sizeof waitq[0]);
            return tid;
        }
    }
    return wait_for(tid, status, 0) < 0 ? -errno : tid;
}

/* ---- loop ---- */

/* glibc (2.35 and later) registers every thread's rseq area. The loop's thread has no use
 * for it, and while it is registered each switch back to the Sentry runs the kernel's rseq
 * update, two switches per trapped call (~0.2 µs a round trip here, bench/probes/floor.c).
 * Unregistered once, best effort; glibc's sched_getcpu then asks the kernel. Children the
 * Sentry starts exec at once, and exec'd programs register their own. */
extern const ptrdiff_t __rseq_offset __attribute__((weak));
extern const unsigned int __rseq_size __attribute__((weak));
#define RSEQ_FLAG_UNREGISTER 1
#define RSEQ_SIG 0x53053053 /* x86's */

static void drop_rseq(void) {
    if (&__rseq_size == NULL || &__rseq_offset == NULL || __rseq_size == 0) return;
    void *area = (char *)__builtin_thread_pointer() + __rseq_offset;
    /* The length it was registered with: 32 (glibc 2.35-2.39), else __rseq_size. */
    if (syscall(SYS_rseq, area, 32, RSEQ_FLAG_UNREGISTER, RSEQ_SIG) != 0)
        syscall(SYS_rseq, area, __rseq_size, RSEQ_FLAG_UNREGISTER, RSEQ_SIG);
}

int st_loop_init(void) {
    sigset_t set;
    struct epoll_event ev = {.events = EPOLLIN};
    struct sigaction sa;
    if (epfd >= 0) return 0;
    drop_rseq();
    epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0) return -errno;
    if (pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK) < 0) return -errno;
    ev.data.fd = wake_pipe[0];
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, wake_pipe[0], &ev) < 0) return -errno;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigchld;
    sa.sa_flags = SA_RESTART | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGCHLD, &sa, NULL) < 0) return -errno;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    if (sigprocmask(SIG_UNBLOCK, &set, NULL) < 0) return -errno;
    return 0;
}

/* Whether the listener is in the epoll set. Only the slow path (epoll_wait) needs it there;
 * the fast path blocks in NOTIF_RECV itself and takes it out, as every notification would
 * otherwise also run the epoll callback (~0.3 µs a round trip on this machine). */
static int listener_watched;

static int watch_listener(int on) {
    if (listener < 0 || listener_watched == on) return 0;
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = listener};
    if (epoll_ctl(epfd, on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, listener, &ev) < 0) return -errno;
    listener_watched = on;
    return 0;
}

int st_loop_set_listener(int fd) {
    listener = fd;
    return watch_listener(1);
}

/* Atomic: a runtime thread of the Sentry (sentry/control.py) may arm an fd while the
 * loop disarms another. */
static void set_armed(int fd, int on) {
    if (fd < 0 || fd >= (int)sizeof armed) return;
    if (__atomic_exchange_n(&armed[fd], (unsigned char)on, __ATOMIC_SEQ_CST) == on) return;
    __atomic_add_fetch(&armed_fds, on ? 1 : -1, __ATOMIC_SEQ_CST);
}

int st_loop_watch(int fd, unsigned int events) {
    struct epoll_event ev = {.events = events | EPOLLONESHOT, .data.fd = fd};
    if (fd < 0 || fd >= (int)sizeof armed) return -EBADF;
    if (epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev) < 0) {
        if (errno != ENOENT) return -errno;
        if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) return -errno;
    }
    set_armed(fd, 1);
    return 0;
}

int st_loop_unwatch(int fd) {
    set_armed(fd, 0);
    if (epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL) < 0 && errno != ENOENT && errno != EBADF)
        return -errno;
    return 0;
}

static void fill_args(struct st_event *ev, const unsigned long long *a) {
    for (int i = 0; i < 6; i++) ev->args[i] = a[i];
}

/* Turns a waitpid result into an event, reading syscall details for syscall stops. */
static int decode_wait(struct st_event *ev, int tid, int status) {
    struct ptrace_syscall_info info;
    ev->tid = tid;
    ev->status = status;
    ev->kind = ST_EV_WAIT;
    if (!WIFSTOPPED(status)) return ev->kind;
    int sig = WSTOPSIG(status), event = status >> 16;
    int is_seccomp = sig == SIGTRAP && event == PTRACE_EVENT_SECCOMP;
    if (!is_seccomp && sig != (SIGTRAP | 0x80)) return ev->kind;
    memset(&info, 0, sizeof info);
    if (ptrace(PT_GET_SYSCALL_INFO, tid, sizeof info, &info) < 0) return ev->kind;
    ev->arch = info.arch;
    ev->ip = info.instruction_pointer;
    ev->sp = info.stack_pointer;
    if (info.op == PTRACE_SYSCALL_INFO_SECCOMP) {
        ev->kind = ST_EV_SECCOMP;
        ev->nr = (int)info.seccomp.nr;
        fill_args(ev, info.seccomp.args);
    } else if (info.op == PTRACE_SYSCALL_INFO_ENTRY) {
        ev->kind = ST_EV_SYSCALL;
        ev->nr = (int)info.entry.nr;
        fill_args(ev, info.entry.args);
    }
    return ev->kind;
}

static int recv_notif(struct seccomp_notif *n) {
    memset(n, 0, sizeof *n);
    if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, n) < 0) return -errno;
    return 0;
}

/* ---- path read-ahead ---- */

/* 1 + the path argument's index for the calls whose path is read with the notification
 * (sentry/syscalls/table.py: READ_AHEAD), 0 for the others. */
#define READ_AHEAD_NR 512
static unsigned char read_ahead[READ_AHEAD_NR];

int st_set_read_ahead(int nr, int arg) {
    if (nr < 0 || nr >= READ_AHEAD_NR || arg < -1 || arg > 5) return -EINVAL;
    read_ahead[nr] = (unsigned char)(arg + 1);
    return 0;
}

/* The path a notified call names, read now (the task waits in the call either way) so
 * that the handler does not cross into C again for it. Only the easy case: the first 255
 * bytes, up to the page's end; anything else (a longer path, one across a page boundary,
 * a bad pointer) is left to the handler's own read, with its errors. */
static void read_path_ahead(struct st_event *ev, int pid, int nr, const unsigned long long *args) {
    ev->path_arg = 0;
    ev->path[0] = 0;
    unsigned k = nr >= 0 && nr < READ_AHEAD_NR ? read_ahead[nr] : 0;
    if (!k || !args[k - 1]) return;
    unsigned long long addr = args[k - 1];
    unsigned long chunk = 4096 - (addr & 4095);
    if (chunk > sizeof ev->path - 1) chunk = sizeof ev->path - 1;
    long got = st_mem_read(pid, addr, ev->path + 1, chunk);
    unsigned char *nul = got > 0 ? memchr(ev->path + 1, 0, (size_t)got) : NULL;
    if (!nul) return;
    ev->path[0] = (unsigned char)(nul - (ev->path + 1));
    ev->path_arg = (int)k;
}

static int fill_notif(struct st_event *ev, const struct seccomp_notif *n) {
    read_path_ahead(ev, (int)n->pid, n->data.nr, n->data.args);
    ev->kind = ST_EV_NOTIFY;
    ev->id = n->id;
    ev->tid = (int)n->pid;
    ev->nr = n->data.nr;
    ev->arch = n->data.arch;
    ev->ip = n->data.instruction_pointer;
    fill_args(ev, n->data.args);
    return ev->kind;
}

/* The fast path: no fd is watched and no timeout is due, so the only events are
 * notifications and SIGCHLD. Block in NOTIF_RECV itself (one syscall instead of
 * epoll_wait + RECV, and the listener's synchronous wake-up lands on this thread); a
 * SIGCHLD jumps out of the wait. A notification copied out just before the jump is
 * recognised by its non-zero id. Returns the event kind, or 0 to take the slow path. */
static int fast_recv(struct st_event *ev) {
    static struct seccomp_notif n;
    memset(&n, 0, sizeof n);
    if (sigsetjmp(recv_jmp, 0) == 0) {
        in_recv = 1;
        int r = chld_pending ? -1 : ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &n);
        in_recv = 0;
        if (r == 0) return fill_notif(ev, &n);
        return 0;
    }
    /* Jumped out of the wait by SIGCHLD. */
    if (*(volatile unsigned long long *)&n.id) return fill_notif(ev, &n);
    return 0;
}

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int st_next_event(struct st_event *ev, int timeout_ms) {
    struct epoll_event evs[32];
    long long deadline = timeout_ms >= 0 ? now_ms() + timeout_ms : -1;
    memset(ev, 0, sizeof *ev);
    for (;;) {
        if (waitq_len) {
            struct waitq_entry w = waitq[0];
            memmove(waitq, waitq + 1, --waitq_len * sizeof waitq[0]);
            return decode_wait(ev, w.tid, w.status);
        }
        if (notifq_len) {
            struct seccomp_notif n = notifq[0];
            memmove(notifq, notifq + 1, --notifq_len * sizeof notifq[0]);
            return fill_notif(ev, &n);
        }
        if (fdq_len) {
            ev->kind = ST_EV_FD;
            ev->fd = fdq[0].fd;
            ev->status = (int)fdq[0].events;
            memmove(fdq, fdq + 1, --fdq_len * sizeof fdq[0]);
            return ev->kind;
        }
        if (notif_ready) {
            struct seccomp_notif n;
            notif_ready = 0;
            int r = recv_notif(&n);
            if (r == 0) return fill_notif(ev, &n);
            if (r != -ENOENT && r != -EINTR) return r;
        }
        if (chld_pending) {
            char buf[64];
            chld_pending = 0; /* before the drain: a SIGCHLD during it sets it again */
            if (pipe_dirty) {
                pipe_dirty = 0;
                while (read(wake_pipe[0], buf, sizeof buf) > 0) {
                }
            }
            want_wait = 1;
        }
        if (want_wait) {
            int status;
            int tid = waitpid(-1, &status, WNOHANG | __WALL);
            if (tid > 0) return decode_wait(ev, tid, status);
            want_wait = 0;
        }
        if (!armed_fds && listener >= 0) {
            if (deadline >= 0 && deadline <= now_ms()) {
                ev->kind = ST_EV_TIMEOUT;
                return ev->kind;
            }
            if (arm_wake_timer(deadline) == 0) {
                int r = watch_listener(0);
                if (r < 0) return r;
                r = fast_recv(ev);
                if (r != 0) return r;
                continue;
            }
        }
        int w = watch_listener(1);
        if (w < 0) return w;
        int t = -1;
        if (deadline >= 0) {
            long long left = deadline - now_ms();
            t = left > 0 ? (int)left : 0;
        }
        in_epoll = 1;
        if (chld_pending) { /* came before in_epoll was set: no byte for it on the pipe */
            in_epoll = 0;
            continue;
        }
        int n = epoll_wait(epfd, evs, 32, t);
        in_epoll = 0;
        if (n < 0) {
            if (errno == EINTR) continue;
            return -errno;
        }
        if (n == 0) {
            ev->kind = ST_EV_TIMEOUT;
            return ev->kind;
        }
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            if (fd == wake_pipe[0]) {
                chld_pending = 1; /* drained at the top of the loop */
            } else if (fd == listener) {
                notif_ready = 1;
            } else if (fdq_len < QCAP) {
                set_armed(fd, 0);
                fdq[fdq_len].fd = fd;
                fdq[fdq_len].events = evs[i].events;
                fdq_len++;
            }
        }
    }
}

/* ---- answers ---- */

int st_notify_send(unsigned long long id, long long val, int error, unsigned int flags) {
    struct seccomp_notif_resp resp = {.id = id, .val = val, .error = error, .flags = flags};
    if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0) return -errno;
    return 0;
}

int st_notify_send_and_next(unsigned long long id, long long val, int error,
                            struct st_event *ev, int timeout_ms) {
    int r = st_notify_send(id, val, error, 0);
    /* ENOENT: the task was interrupted or died meanwhile; the kernel dealt with it. */
    if (r < 0 && r != -ENOENT) return r;
    return st_next_event(ev, timeout_ms);
}

/* The loop's hot answer: r >= 0 a value, r < 0 an errno; the next event lands in the
 * struct registered with st_set_hot_event (one C call with two arguments). */
static struct st_event *hot_ev;

void st_set_hot_event(struct st_event *ev) { hot_ev = ev; }

int st_answer_and_next(unsigned long long id, long long r) {
    return r >= 0 ? st_notify_send_and_next(id, r, 0, hot_ev, -1)
                  : st_notify_send_and_next(id, 0, (int)r, hot_ev, -1);
}

int st_answer_write(int tid, unsigned long long addr, const char *data, unsigned long len,
                    unsigned long long id, long long r, int timeout_ms) {
    if (st_mem_write(tid, addr, data, len) != (long)len) r = -EFAULT;
    return st_answer_within(id, r, timeout_ms);
}

int st_answer_within(unsigned long long id, long long r, int timeout_ms) {
    return r >= 0 ? st_notify_send_and_next(id, r, 0, hot_ev, timeout_ms)
                  : st_notify_send_and_next(id, 0, (int)r, hot_ev, timeout_ms);
}

int st_notify_id_valid(unsigned long long id) {
    if (ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) < 0) return -errno;
    return 0;
}

int st_set_return(int tid, long long val, int skip) {
    if (skip && ptrace(PT_POKEUSER, tid, offsetof(struct user_regs_struct, orig_rax), -1L) < 0)
        return -errno;
    if (ptrace(PT_POKEUSER, tid, offsetof(struct user_regs_struct, rax), val) < 0) return -errno;
    return 0;
}

static int restart_req(int how) {
    return how == ST_SYSEMU ? PT_SYSEMU : how == ST_SYSCALL ? PT_SYSCALL : PT_CONT;
}

int st_resume(int tid, int how, int sig) {
    if (ptrace(restart_req(how), tid, 0, (long)sig) < 0) return -errno;
    return 0;
}

int st_return_and_resume(int tid, long long val, int how) {
    int r = st_set_return(tid, val, how == ST_CONT);
    if (r < 0) return r;
    return st_resume(tid, how, 0);
}

/* ---- tracee state ---- */

int st_seize(int tid, unsigned int options) {
    if (ptrace(PT_SEIZE, tid, 0, (long)options) < 0) return -errno;
    return 0;
}

int st_getregs(int tid, struct st_regs *regs) {
    if (ptrace(PT_GETREGS, tid, 0, regs) < 0) return -errno;
    return 0;
}

int st_setregs(int tid, const struct st_regs *regs) {
    if (ptrace(PT_SETREGS, tid, 0, regs) < 0) return -errno;
    return 0;
}

int st_kill(int tid, int sig) {
    if (kill(tid, sig) < 0) return -errno;
    return 0;
}

int st_swap_sigmask(int tid, unsigned long long mask, unsigned long long *old) {
    if (ptrace(PT_GETSIGMASK, tid, sizeof mask, old) < 0) return -errno;
    if (ptrace(PT_SETSIGMASK, tid, sizeof mask, &mask) < 0) return -errno;
    return 0;
}

int st_getsiginfo(int tid, int *code) {
    siginfo_t si;
    if (ptrace(PT_GETSIGINFO, tid, 0, &si) < 0) return -errno;
    *code = si.si_code;
    return si.si_signo;
}

int st_siginfo(int tid, int set, void *info) {
    if (ptrace(set ? PT_SETSIGINFO : PT_GETSIGINFO, tid, 0, info) < 0) return -errno;
    return 0;
}

int st_clock(int clockid, int res, long long *sec, long long *nsec) {
    struct timespec ts;
    if ((res ? clock_getres(clockid, &ts) : clock_gettime(clockid, &ts)) < 0) return -errno;
    *sec = ts.tv_sec;
    *nsec = ts.tv_nsec;
    return 0;
}

int st_geteventmsg(int tid, unsigned long *msg) {
    if (ptrace(PT_GETEVENTMSG, tid, 0, msg) < 0) return -errno;
    return 0;
}

int st_interrupt(int tid) {
    if (ptrace(PT_INTERRUPT, tid, 0, 0L) < 0) return -errno;
    return 0;
}

int st_sigqueueinfo(int tgid, int tid, int sig, const void *info) {
    long r = tid ? syscall(SYS_rt_tgsigqueueinfo, tgid, tid, sig, info)
                 : syscall(SYS_rt_sigqueueinfo, tgid, sig, info);
    return r < 0 ? -errno : 0;
}

int st_listen(int tid) {
    if (ptrace(PT_LISTEN, tid, 0, 0L) < 0) return -errno;
    return 0;
}

/* Rewinds a task stopped after a syscall onto that syscall (its number from orig_rax)
 * and resumes it with `request` (PT_SYSCALL or PT_CONT): the call is made again. */
static int rewind_and_resume(int tid, int request) {
    struct user_regs_struct r;
    if (ptrace(PT_GETREGS, tid, 0, &r) < 0) return -errno;
    r.rax = r.orig_rax;
    r.orig_rax = (unsigned long long)-1;
    r.rip -= 2;
    if (ptrace(PT_SETREGS, tid, 0, &r) < 0) return -errno;
    if (ptrace(request, tid, 0, 0L) < 0) return -errno;
    return 0;
}

int st_rerun_start(int tid) { return rewind_and_resume(tid, PT_SYSCALL); }

int st_affinity(int tid, int set, unsigned long len, unsigned char *mask) {
    long r = syscall(set ? SYS_sched_setaffinity : SYS_sched_getaffinity, tid, len, mask);
    return r < 0 ? -errno : (int)r;
}

int st_robust_list(int tid, unsigned long long *head, unsigned long long *len) {
    void *h = NULL;
    size_t l = 0;
    if (syscall(SYS_get_robust_list, tid, &h, &l) < 0) return -errno;
    *head = (unsigned long long)(unsigned long)h;
    *len = l;
    return 0;
}

int st_sched_runtime(int tid, unsigned long long *runtime) {
    struct {
        uint32_t size, policy;
        uint64_t flags;
        int32_t nice;
        uint32_t prio;
        uint64_t runtime, deadline, period;
        uint32_t util_min, util_max;
    } a;
    if (syscall(SYS_sched_getattr, tid, &a, sizeof a, 0) < 0) return -errno;
    *runtime = a.runtime;
    return 0;
}

int st_tgkill(int tgid, int tid, int sig) {
    if (syscall(SYS_tgkill, tgid, tid, sig) < 0) return -errno;
    return 0;
}

/* ---- memory ---- */

/* Linux's access_ok: a copy that does not lie below TASK_SIZE_MAX (x86-64, 4-level paging;
 * sentry/syscalls/sys_mmap.py TASK_SIZE) faults whole. process_vm_readv alone would read the
 * vsyscall page (0xffffffffff600000) on a host booted with vsyscall=emulate. */
#define TASK_SIZE_MAX 0x7ffffffff000ULL
static int user_range(unsigned long long addr, unsigned long len) {
    return addr < TASK_SIZE_MAX && len <= TASK_SIZE_MAX - addr;
}

long st_mem_read(int pid, unsigned long long addr, void *buf, unsigned long len) {
    if (!user_range(addr, len)) return 0;
    struct iovec local = {buf, len}, remote = {(void *)addr, len};
    ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
    if (n < 0) return errno == EFAULT ? 0 : -errno;
    return n;
}

long st_mem_read_cstr(int pid, unsigned long long addr, char *buf, unsigned long limit) {
    unsigned long got = 0;
    while (got < limit) {
        /* Page by page (a string may end just before an unmapped page); the first read
         * takes 256 bytes at most, as most strings are short. */
        unsigned long chunk = 4096 - ((addr + got) & 4095);
        if (chunk > limit - got) chunk = limit - got;
        if (got == 0 && chunk > 256) chunk = 256;
        long n = st_mem_read(pid, addr + got, buf + got, chunk);
        if (n < 0) return n;
        char *nul = memchr(buf + got, 0, (size_t)n);
        if (nul) return nul - buf;
        if ((unsigned long)n != chunk) return -EFAULT;
        got += (unsigned long)n;
    }
    return -ENAMETOOLONG;
}

long st_mem_write(int pid, unsigned long long addr, const void *buf, unsigned long len) {
    if (!user_range(addr, len)) return 0;
    struct iovec local = {(void *)buf, len}, remote = {(void *)addr, len};
    ssize_t n = process_vm_writev(pid, &local, 1, &remote, 1, 0);
    if (n < 0) return errno == EFAULT ? 0 : -errno;
    return n;
}

#define PREAD_MAX 65536
long st_pread_to_task(int pid, long *got, int fd, long long off, unsigned long len,
                      unsigned long long addr) {
    static char buf[PREAD_MAX];
    *got = 0;
    if (len > PREAD_MAX) return -EINVAL;
    ssize_t n;
    do {
        n = pread(fd, buf, len, off);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return -errno;
    *got = n;
    return n > 0 ? st_mem_write(pid, addr, buf, (unsigned long)n) : 0;
}

int st_fstatat_raw(int dirfd, const char *name, int flags, void *buf) {
    _Static_assert(sizeof(struct stat) == 144, "x86-64 struct stat");
    if (fstatat(dirfd, name, (struct stat *)buf, flags) < 0) return -errno;
    return 0;
}

long st_mem_poke(int pid, unsigned long long addr, const void *buf, unsigned long len) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/mem", pid);
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) return -errno;
    ssize_t n = pwrite(fd, buf, len, (off_t)addr);
    int e = errno;
    close(fd);
    return n < 0 ? -e : n;
}

/* ---- injection ---- */

/* Fails closed: the task did something other than the call the Sentry runs in it (its
 * code replaced the stub, or the stub faulted). Kill it and report its death with
 * ENOTRECOVERABLE, so that the Sentry logs why. */
static int kill_task(int tid, int *status) {
    int st;
    kill(tid, SIGKILL);
    for (;;) {
        if (wait_for(tid, &st, 0) < 0) {
            if (errno == EINTR) continue;
            return -errno;
        }
        if (WIFEXITED(st) || WIFSIGNALED(st)) break;
        ptrace(PT_CONT, tid, 0, 0L);
    }
    *status = st;
    return -ENOTRECOVERABLE;
}

static int is_fault(int sig) {
    return sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE || sig == SIGSYS;
}

/* Waits for the notification of `tid`'s injected call, queueing any other task's. A
 * signal stop meanwhile cancels the notification; the dropped signal restarts the call. */
static int await_notif(int tid, long long nr, unsigned long long ip, unsigned long long *id,
                       int *sig, int *status) {
    struct pollfd p = {.fd = listener, .events = POLLIN};
    for (;;) {
        int r = poll(&p, 1, 50);
        if (r < 0 && errno != EINTR) return -errno;
        if (r > 0) {
            struct seccomp_notif n;
            r = recv_notif(&n);
            if (r == -ENOENT || r == -EINTR) continue;
            if (r < 0) return r;
            if ((int)n.pid == tid) {
                if (n.data.nr != nr || n.data.instruction_pointer != ip) {
                    ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &(struct seccomp_notif_resp){
                        .id = n.id, .error = -EPERM});
                    return kill_task(tid, status); /* not our call */
                }
                *id = n.id;
                return 0;
            }
            if ((r = push_notif(&n)) < 0) return r;
            continue;
        }
        int st, w = wait_for(tid, &st, WNOHANG);
        if (w < 0 && errno != EINTR) return -errno;
        if (w <= 0) continue;
        if (WIFEXITED(st) || WIFSIGNALED(st)) {
            *status = st;
            return -ESRCH;
        }
        if (WIFSTOPPED(st)) {
            int s = WSTOPSIG(st), event = st >> 16;
            if (s == (SIGTRAP | 0x80)) {
                /* Only our own call, restarted after a suppressed signal, may stop here. */
                struct ptrace_syscall_info info;
                memset(&info, 0, sizeof info);
                if (ptrace(PT_GET_SYSCALL_INFO, tid, sizeof info, &info) < 0) return -errno;
                if (info.op == PTRACE_SYSCALL_INFO_ENTRY &&
                    (info.entry.nr != (unsigned long long)nr || info.instruction_pointer != ip))
                    return kill_task(tid, status);
            } else if (event == 0 && is_fault(s)) {
                return kill_task(tid, status);
            } else if (event == 0 && !*sig) {
                *sig = s;
            }
            if (ptrace(PT_SYSCALL, tid, 0, 0L) < 0) return -errno;
        }
    }
}

/* ADDFD (SETFD onto `slot`), with SEND: installs `donate_fd` in the task and makes it the
 * result of the notified call (without: the call still waits, for more fds). Signals (SIGCHLD above all) are held off meanwhile: the kernel marks the notification
 * replied before the task has taken the fd, and an ioctl interrupted then (and restarted
 * by SA_RESTART) withdraws the fd but leaves the call replied, so it returns 0 with no fd
 * installed and the restarted ioctl finds no notification (ENOENT). Under load that gave
 * ld.so an mmap result of 0 and the injection a call that was not its own. */
static int addfd_slot(unsigned long long id, int donate_fd, int slot, int send) {
    struct seccomp_notif_addfd a = {
        .id = id, .flags = SECCOMP_ADDFD_FLAG_SETFD | (send ? SECCOMP_ADDFD_FLAG_SEND : 0),
        .srcfd = (unsigned)donate_fd, .newfd = (unsigned)slot,
        .newfd_flags = slot == ST_STUB_SLOT ? 0 : O_CLOEXEC};
    sigset_t all, old;
    sigfillset(&all);
    if (sigprocmask(SIG_BLOCK, &all, &old) < 0) return -errno;
    int e = ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &a) < 0 ? -errno : 0;
    sigprocmask(SIG_SETMASK, &old, NULL);
    return e;
}

int st_notify_send_donating(unsigned long long id, int donate_fd) {
    return addfd_slot(id, donate_fd, ST_DONATE_SLOT, 1);
}

int st_notify_continue_with_fd(unsigned long long id, int donate_fd, int task_fd) {
    if (task_fd <= ST_STUB_SLOT) return -EBADF; /* never over the donation or stub slot */
    int e = addfd_slot(id, donate_fd, task_fd, 0);
    if (e < 0) return e;
    e = st_notify_send(id, 0, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE);
    return e == -ENOENT ? 1 : e;
}

static int addfd_send(unsigned long long id, int donate_fd, int stub) {
    return addfd_slot(id, donate_fd, stub ? ST_STUB_SLOT : ST_DONATE_SLOT, 1);
}

/* Drives a tracee through one host syscall to its exit stop. The call is recognised by
 * its entry stop (number `nr` at `ip`) unless `seen_entry` says it is already under way;
 * exit stops before that (of a call being skipped) are passed over. Any other syscall
 * stop, or a fault, means the task is not running the Sentry's call: it is killed. */
/* An exec kills the caller's other threads, and a traced thread stays a zombie until its
 * tracer reaps it: the exec (de_thread) waits for that. So while an exec is injected,
 * the other threads' exits are reaped here (waitid WEXITED: their stops stay queued for
 * the loop), until waitid says ECHILD: the first report of a traced thread's exit may
 * leave it a zombie, and only a later one releases it. Returns whether any is left. */
static int reap_exited(int *others, int n) {
    int left = 0;
    for (int i = 0; i < n; i++) {
        siginfo_t si;
        if (others[i] <= 0) continue;
        si.si_pid = 0;
        int r = waitid(P_PID, (id_t)others[i], &si, WEXITED | WNOHANG | __WALL);
        if (r < 0 && errno == ECHILD)
            others[i] = 0;
        else
            left = 1;
    }
    return left;
}

/* waitpid(tid) that reaps the other threads' exits meanwhile (see reap_exited). */
static int wait_reaping(int tid, int exec_tid, int *st, int *others, int n) {
    struct timespec nap = {0, 100000};
    /* A non-leader's exec reports under the leader's tid: wait for tid alone (ECHILD). */
    if (!n) return exec_tid == tid ? wait_for(tid, st, 0) : waitpid(tid, st, __WALL);
    for (;;) {
        int w = waitpid(tid, st, WNOHANG | __WALL);
        if (w != 0) return w;
        if (!reap_exited(others, n))
            return exec_tid == tid ? wait_for(tid, st, 0) : waitpid(tid, st, __WALL);
        nanosleep(&nap, NULL);
    }
}

static void refuse_notif(unsigned long long id) {
    ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &(struct seccomp_notif_resp){.id = id, .error = -EPERM});
}

/* waitpid(tid) for a TRACE-lane call resumed with PTRACE_CONT, before its seccomp stop.
 * Workload code at the stub's ip (another thread may have mapped its own page there) could
 * make a notify-lane call instead, which nobody would answer while the Sentry blocks in
 * waitpid: so the listener is watched too, and SIGCHLD (held off between the check and
 * ppoll) ends the wait. Returns as waitpid does, or 0 when `tid` sent a notification
 * (copied to *mine, unanswered: the caller decides). Other tasks' notifications are
 * queued for the loop. */
static int wait_traced(int tid, int *st, struct seccomp_notif *mine) {
    sigset_t chld, old, during;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    if (sigprocmask(SIG_BLOCK, &chld, &old) < 0) return -1;
    during = old;
    sigdelset(&during, SIGCHLD);
    int w, e = 0;
    for (;;) {
        w = wait_for(tid, st, WNOHANG);
        if (w != 0) break;
        struct pollfd p = {.fd = listener, .events = POLLIN};
        int n = ppoll(&p, listener >= 0 ? 1 : 0, NULL, &during);
        if (n < 0 && errno != EINTR) {
            w = -1;
            break;
        }
        if (n <= 0) continue;
        struct seccomp_notif nt;
        int r = recv_notif(&nt);
        if (r == -ENOENT || r == -EINTR) continue;
        if (r == 0 && (int)nt.pid == tid) {
            *mine = nt;
            w = 0;
            break;
        }
        if (r == 0) r = push_notif(&nt);
        if (r < 0) {
            e = -r, w = -1;
            break;
        }
    }
    if (w < 0 && !e) e = errno;
    sigprocmask(SIG_SETMASK, &old, NULL);
    if (w < 0) errno = e;
    return w;
}

static int run_to_exit(int tid, int exec_tid, int *others, int n_others, long long nr,
                       unsigned long long ip, int seen_entry, int notif, int donate_fd,
                       long long *result, int *sig, int *status) {
    struct ptrace_syscall_info info;
    /* A TRACE-lane call is resumed with PTRACE_CONT: its seccomp stop is its entry. */
    int traced = (notif & ST_INJECT_TRACED) && !n_others && exec_tid == tid;
    int at_exec_event = notif & ST_INJECT_EXEC_EVENT;
    notif &= ~(ST_INJECT_TRACED | ST_INJECT_EXEC_EVENT);
    int answered = notif == ST_NOTIF_NONE;
    *sig = 0;
    *status = -1;
    if (ptrace(traced && !seen_entry ? PT_CONT : PT_SYSCALL, tid, 0, 0L) < 0) return -errno;
    for (;;) {
        int st, w, e;
        if (seen_entry && !answered) {
            unsigned long long id = 0;
            if ((e = await_notif(tid, nr, ip, &id, sig, status)) < 0) return e;
            if (notif == ST_NOTIF_ADDFD || notif == ST_NOTIF_ADDFD_STUB) {
                e = addfd_send(id, donate_fd, notif == ST_NOTIF_ADDFD_STUB);
            } else {
                e = st_notify_send(id, 0, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE);
            }
            if (e == -ENOENT || e == -EINPROGRESS || e == -ESRCH) {
                /* A signal ended the wait first (ADDFD says EINPROGRESS when it catches the
                 * notification on its way out, ESRCH when the task left the wait with our
                 * request still queued). The call comes back -ERESTARTSYS and, the
                 * signal being held for the caller, restarts: its next entry stop and
                 * notification are ours again (a death ends the wait with ESRCH). Taking
                 * the -ERESTARTSYS exit as the result gave the task a bad fd: ld.so's
                 * "failed to map segment" under load. */
                seen_entry = 0;
            } else if (e < 0) {
                return e;
            } else {
                answered = 1;
            }
        }
        if (traced && !seen_entry) {
            struct seccomp_notif nt;
            w = wait_traced(tid, &st, &nt);
            if (w == 0) { /* a notify-lane call: not ours */
                refuse_notif(nt.id);
                return kill_task(tid, status);
            }
        } else {
            w = wait_reaping(tid, exec_tid, &st, others, n_others);
        }
        if (w < 0) {
            if (errno == EINTR) continue;
            if (errno == ECHILD && exec_tid != tid && seen_entry) {
                /* An exec from a non-leader thread: the kernel gave the thread the
                 * leader's tid and released the old leader (EXIT_DEAD, so the wait for
                 * the old tid ends in ECHILD); the exec stop comes under the new tid. */
                tid = exec_tid;
                continue;
            }
            return -errno;
        }
        if (WIFEXITED(st) || WIFSIGNALED(st)) {
            *status = st;
            return -ESRCH;
        }
        if (!WIFSTOPPED(st)) continue;
        int s = WSTOPSIG(st), event = st >> 16;
        if (s == (SIGTRAP | 0x80) || (s == SIGTRAP && event == PTRACE_EVENT_SECCOMP)) {
            memset(&info, 0, sizeof info);
            if (ptrace(PT_GET_SYSCALL_INFO, tid, sizeof info, &info) < 0) return -errno;
            if (info.op == PTRACE_SYSCALL_INFO_ENTRY && !seen_entry &&
                info.entry.nr == (unsigned long long)nr && info.instruction_pointer == ip &&
                info.arch == AUDIT_ARCH_X86_64)
                seen_entry = 1;
            else if (info.op == PTRACE_SYSCALL_INFO_EXIT && seen_entry) {
                *result = info.exit.rval;
                return 0;
            } else if (info.op == PTRACE_SYSCALL_INFO_SECCOMP && !seen_entry && traced &&
                       info.seccomp.nr == (unsigned long long)nr &&
                       info.instruction_pointer == ip && info.arch == AUDIT_ARCH_X86_64) {
                seen_entry = 1; /* resumed with PTRACE_CONT: the next stop is its exit */
            } else if (info.op == PTRACE_SYSCALL_INFO_SECCOMP && seen_entry &&
                       info.seccomp.nr == (unsigned long long)nr) {
                /* our own call in the TRACE lane: it counts as allowed */
            } else if (info.op != PTRACE_SYSCALL_INFO_EXIT) {
                return kill_task(tid, status); /* a call that is not ours */
            }
        } else if (s == SIGTRAP && event == PTRACE_EVENT_EXEC && at_exec_event && seen_entry) {
            *result = 0; /* the exec succeeded; the task stays at this stop */
            return 0;
        } else if (s == SIGTRAP && event == PTRACE_EVENT_EXIT) {
            /* Killed meanwhile: let it die and report the death. */
            if (ptrace(PT_CONT, tid, 0, 0L) < 0) return -errno;
            continue;
        } else if (event == 0 && is_fault(s)) {
            return kill_task(tid, status); /* the stub is gone or broken: fail closed */
        } else if (event == 0 && !*sig) {
            *sig = s; /* a signal-delivery-stop: re-delivered by the caller on resume */
        }
        /* Exec and group-stop events: carry on to the exit stop. */
        if (ptrace(PT_SYSCALL, tid, 0, 0L) < 0) return -errno;
    }
}

int st_inject(int tid, int exec_tid, int *others, int n_others, int where,
              unsigned long long stub_ip, long long nr, const unsigned long long *args,
              int notif, int donate_fd, long long *result, int *sig, int *status) {
    struct user_regs_struct saved, r;
    if (ptrace(PT_GETREGS, tid, 0, &saved) < 0) return -errno;
    r = saved;
    r.rdi = args[0], r.rsi = args[1], r.rdx = args[2];
    r.r10 = args[3], r.r8 = args[4], r.r9 = args[5];
    if (where == ST_AT_ENTRY) {
        r.orig_rax = (unsigned long long)nr; /* replace the trapped call in place */
    } else {
        r.rip = stub_ip;
        r.rax = (unsigned long long)nr;
        r.orig_rax = (unsigned long long)-1; /* the call stopped at (if any) is skipped */
    }
    if (ptrace(PT_SETREGS, tid, 0, &r) < 0) return -errno;
    /* In place, the call runs at the task's own syscall instruction; else at the stub's. */
    unsigned long long ip = where == ST_AT_ENTRY ? saved.rip : stub_ip + 2;
    int e = run_to_exit(tid, exec_tid, others, n_others, nr, ip, where == ST_AT_ENTRY, notif,
                        donate_fd, result, sig, status);
    if (e < 0) return e;
    /* After a successful exec the old registers mean nothing: keep the new image's. */
    if ((nr == SYS_execve || nr == SYS_execveat) && *result == 0) return 0;
    if (ptrace(PT_SETREGS, tid, 0, &saved) < 0) return -errno;
    return 0;
}

/* Runs the stub's batch (native/stub.c): rip = `rip`, rbx = `table`, r12 = `base`, resumed
 * with PTRACE_CONT until the batch's int3 (ip `trap_ip` once taken). On the way: the
 * table's doorbell (a notification of `doorbell_nr` at `sys_ip`) is answered with ADDFD of
 * fds[i] onto slots[i] for each i, the last with SEND; the file mmaps stop at their
 * seccomp stop (TRACE lane) and are let through. Anything else the task does there
 * (another call, a fault) kills it. Signals are held as in st_inject (*sig). Returns 0 at
 * the int3, -ESRCH if the task died (*status), -ENOTRECOVERABLE if killed, or -errno. */
int st_run_batch(int tid, unsigned long long rip, unsigned long long table,
                 unsigned long long base, unsigned long long sys_ip,
                 unsigned long long trap_ip, long long doorbell_nr, const int *fds,
                 const int *slots, int nfds, int enter, int *sig, int *status) {
    struct user_regs_struct r;
    int done = 0;
    *sig = 0;
    *status = -1;
    if (ptrace(PT_GETREGS, tid, 0, &r) < 0) return -errno;
    r.rip = rip, r.rbx = table, r.r12 = base;
    r.rax = 0, r.orig_rax = (unsigned long long)-1;
    if (ptrace(PT_SETREGS, tid, 0, &r) < 0) return -errno;
    if (ptrace(PT_CONT, tid, 0, 0L) < 0) return -errno;
    for (;;) {
        struct seccomp_notif nt;
        int st, w = wait_traced(tid, &st, &nt);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -errno;
        }
        if (w == 0) {
            if ((long long)nt.data.nr != doorbell_nr || nt.data.instruction_pointer != sys_ip ||
                done || !nfds) {
                refuse_notif(nt.id);
                return kill_task(tid, status);
            }
            int e = 0;
            for (int i = 0; i < nfds && !e; i++)
                e = addfd_slot(nt.id, fds[i], slots[i], i == nfds - 1);
            if (e == 0 && enter)
                return 0; /* the batch enters the program itself: the task runs on */
            if (e == 0)
                done = 1;
            else if (e != -ENOENT && e != -EINPROGRESS && e != -ESRCH)
                return e;
            /* else a signal ended the wait first: the call restarts and notifies again
             * (the fds installed meanwhile are installed again, over themselves) */
            continue;
        }
        if (WIFEXITED(st) || WIFSIGNALED(st)) {
            *status = st;
            return -ESRCH;
        }
        if (!WIFSTOPPED(st)) continue;
        int s = WSTOPSIG(st), event = st >> 16;
        if (s == SIGTRAP && event == PTRACE_EVENT_SECCOMP) {
            struct ptrace_syscall_info info;
            memset(&info, 0, sizeof info);
            if (ptrace(PT_GET_SYSCALL_INFO, tid, sizeof info, &info) < 0) return -errno;
            if (info.op != PTRACE_SYSCALL_INFO_SECCOMP || info.seccomp.nr != SYS_mmap ||
                info.instruction_pointer != sys_ip || info.arch != AUDIT_ARCH_X86_64)
                return kill_task(tid, status);
        } else if (s == SIGTRAP && event == 0) {
            siginfo_t si;
            if (ptrace(PT_GETSIGINFO, tid, 0, &si) < 0) return -errno;
            if (si.si_code == SI_KERNEL) {
                if (ptrace(PT_GETREGS, tid, 0, &r) < 0) return -errno;
                if (r.rip == trap_ip) return 0; /* the batch is done (stopped, not resumed) */
                return kill_task(tid, status);
            }
            if (!*sig) *sig = s;
        } else if (event == 0 && is_fault(s)) {
            return kill_task(tid, status); /* the batch faulted: fail closed */
        } else if (event == 0 && !*sig) {
            *sig = s; /* re-delivered by the caller on resume */
        }
        /* Exit and group-stop events: carry on (a death is reported next). */
        if (ptrace(PT_CONT, tid, 0, 0L) < 0) return -errno;
    }
}

/* At a seccomp stop: lets the host run the trapped call in place with r8 = `r8`, the call
 * returning to `tramp_ip` (the stub's st_r8_return) with rcx = the task's return address
 * and r11 = its own r8, which the trampoline puts back. (rcx != rip makes the kernel
 * return through IRET, which restores rcx and r11 as set here.) */
int st_run_in_place_r8(int tid, unsigned long long r8, unsigned long long tramp_ip) {
    struct user_regs_struct r;
    if (ptrace(PT_GETREGS, tid, 0, &r) < 0) return -errno;
    r.r11 = r.r8, r.rcx = r.rip;
    r.r8 = r8, r.rip = tramp_ip;
    if (ptrace(PT_SETREGS, tid, 0, &r) < 0) return -errno;
    if (ptrace(PT_CONT, tid, 0, 0L) < 0) return -errno;
    return 0;
}

/* The call made again under PTRACE_CONT: trapped again by the filter. */
int st_retrap(int tid) { return rewind_and_resume(tid, PT_CONT); }

/* getpid() is a syscall (glibc no longer caches it): the Sentry's pid is kept, and
 * forgotten in a forked child. */
static pid_t self_pid;

static void forget_self_pid(void) { self_pid = 0; }

int st_slot_holds(int tid, int sentry_fd, int slot) {
    static int atfork_set;
    if (!atfork_set) atfork_set = pthread_atfork(NULL, NULL, forget_self_pid) == 0;
    if (!self_pid) self_pid = getpid();
    long r = syscall(SYS_kcmp, self_pid, tid, KCMP_FILE, sentry_fd, slot);
    if (r < 0) return errno == EBADF ? 0 : -errno;
    return r == 0;
}

int st_pidfd_getfd(int pid, int targetfd) {
    int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (pfd < 0) return -errno;
    int fd = (int)syscall(SYS_pidfd_getfd, pfd, targetfd, 0);
    int e = errno;
    close(pfd);
    return fd < 0 ? -e : fd;
}
