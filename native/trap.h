/*
 * runsc-py native trap loop: the interface Python may call (this header is the cffi cdef).
 *
 * Only st_* names live here; everything else in trap.c/launch.c is static. Every function
 * returns >= 0 on success or -errno on failure; Python checks them in one helper
 * (sentry/platform/native.py: check()).
 */

/* Event kinds returned by st_next_event(). */
#define ST_EV_NOTIFY 1    /* a seccomp user notification: id, tid, nr, arch, args */
#define ST_EV_SECCOMP 2   /* a PTRACE_EVENT_SECCOMP stop (TRACE lane): tid, nr, args, ip */
#define ST_EV_SYSCALL 3   /* a PTRACE_SYSEMU syscall-entry stop: tid, nr, arch, args, ip */
#define ST_EV_WAIT 4      /* any other waitpid result: tid, status (raw wait status) */
#define ST_EV_FD 5        /* a watched host fd is ready: fd, events */
#define ST_EV_TIMEOUT 6   /* the timeout passed */

/* How st_resume() restarts a stopped tracee. */
#define ST_CONT 0
#define ST_SYSCALL 1
#define ST_SYSEMU 2

/* What an injected syscall meets in the notify lane. */
#define ST_NOTIF_NONE 0       /* the call is not in the notify lane */
#define ST_NOTIF_CONTINUE 1   /* let the host run it (SECCOMP_USER_NOTIF_FLAG_CONTINUE) */
#define ST_NOTIF_ADDFD 2      /* answer with ADDFD|SEND of `donate_fd` (the doorbell) */
#define ST_NOTIF_ADDFD_STUB 3 /* the same, onto ST_STUB_SLOT and kept across exec */
/* Or'ed into `notif`: the call is in the TRACE lane of the task's filter, so its seccomp
 * stop marks its entry (no syscall-entry stop: one stop fewer). */
#define ST_INJECT_TRACED 16
/* Or'ed into `notif` for an exec: the injection ends at its PTRACE_EVENT_EXEC stop (the
 * new image's registers are set; only rax is still to be written, with 0), not at its
 * syscall-exit stop: one stop fewer when what follows resumes the task anyway. */
#define ST_INJECT_EXEC_EVENT 32

/* The task's host fd number a donated fd lands on (ADDFD with SETFD: it replaces the one
 * donated before, close-on-exec). The guest never names host fds: all its fd calls are
 * the Sentry's. */
#define ST_DONATE_SLOT 0
/* Where the stub's memfd is donated for an exec: not close-on-exec, so the program and
 * the children it forks keep it, and their execs find it there (one donation per task
 * tree instead of one per exec). */
#define ST_STUB_SLOT 1
/* Where an exec's program and its ELF loader (PT_INTERP) are donated for the loader's
 * batch (one doorbell serves both): only while the batch runs, whose last rows close
 * them. The filter lets the batch's own syscall instruction mmap and close these two
 * fds with no stop (sentry/platform/filter.py: batch_prefix); the rest of the time they
 * are empty, so a workload that jumps there finds nothing to map. */
#define ST_EXEC_SLOT 3
#define ST_INTERP_SLOT 4

/* Where a stopped tracee is, for st_inject(). */
#define ST_AT_ENTRY 0     /* seccomp stop at syscall entry: the call can be replaced in place */
#define ST_AT_OTHER 1     /* any other stop: run the call at the stub's syscall instruction */

/* Launch flags. */
#define ST_LAUNCH_NEWNET 1
#define ST_LAUNCH_DROP_IDS 2

struct st_event {
    /* The six argument registers first: the Python loop reads the whole struct with one
     * struct.unpack_from (sentry/platform/base.py, EVENT_LAYOUT), and the tuple's first six
     * items are then the syscall's Args as they are. Keep the two in step. */
    unsigned long long args[6];
    int kind;
    int tid;                    /* host tid (NOTIFY, SECCOMP, SYSCALL, WAIT) */
    int status;                 /* WAIT: raw status; FD: events */
    int fd;                     /* FD: the ready fd */
    int nr;                     /* syscall number */
    unsigned int arch;          /* AUDIT_ARCH_* */
    unsigned long long id;      /* NOTIFY: notification id */
    unsigned long long ip;      /* instruction pointer after the syscall instruction */
    unsigned long long sp;
    /* NOTIFY of a call in the read-ahead table (st_set_read_ahead): 1 + the index of its
     * path argument if the path was read with the notification, in full (its NUL found in
     * the first 255 bytes, within one page), else 0. `path` then holds it as a Pascal
     * string (length byte, bytes), which struct's "p" format reads as a bytes object
     * (base.NOTIFY_LAYOUT): one C call fetches the call and its path. */
    int path_arg;
    unsigned char path[256];
};

/* Layout of struct user_regs_struct (x86-64). */
struct st_regs {
    unsigned long long r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8, rax, rcx, rdx, rsi,
        rdi, orig_rax, rip, cs, eflags, rsp, ss, fs_base, gs_base, ds, es, fs, gs;
};

struct st_launch_cfg {
    int flags;                  /* ST_LAUNCH_* */
    int stub_fd;                /* memfd holding the stub image */
    const unsigned char *bpf;   /* struct sock_filter[] */
    int bpf_len;                /* number of instructions */
    const char *empty_dir;      /* host directory to mount the empty root on (in the new mount ns) */
    const char *hostname;
    int uid, gid;               /* host ids the task runs as with ST_LAUNCH_DROP_IDS */
};

const char *st_version(void);

/* Launcher: clone the first task into new namespaces, seize it, let it install the
 * filter and exec the stub. Returns the host pid. The first event is the stub's execveat
 * seccomp stop, whose r9 (args[5]) holds the listener fd number in the task. */
int st_launch(const struct st_launch_cfg *cfg);
int st_pidfd_getfd(int pid, int targetfd);
/* Whether the task's fd `slot` holds the Sentry's own `sentry_fd` (the same open file
 * description: kcmp KCMP_FILE): 1 yes, 0 no (or empty), -errno. */
int st_slot_holds(int tid, int sentry_fd, int slot);

/* The loop: one epoll set with SIGCHLD (signalfd), the notify listener and watched fds. */
int st_loop_init(void);
int st_loop_set_listener(int fd);
int st_loop_watch(int fd, unsigned int events);
int st_loop_unwatch(int fd);
int st_next_event(struct st_event *ev, int timeout_ms);

/* Answers. */
int st_notify_send(unsigned long long id, long long val, int error, unsigned int flags);
int st_notify_id_valid(unsigned long long id);
/* Answers a notified call with 0 by ADDFD|SEND of `donate_fd` onto ST_DONATE_SLOT (whose
 * number, 0, is the call's result): a call that succeeds with 0 (fstat) also donates the
 * file it looked at. 0, or -errno (-ENOENT, -EINPROGRESS, -ESRCH: the call was
 * interrupted or its task died; nothing was answered). */
int st_notify_send_donating(unsigned long long id, int donate_fd);
/* Lets the host run a notified call as issued (CONTINUE) once `donate_fd` is on the task's
 * fd `task_fd` (ADDFD SETFD, close-on-exec, no SEND): a file mmap by the guest's own fd
 * number, which the Sentry makes the host's too. 0, -errno of the ADDFD (nothing answered:
 * -ENOENT, -EINPROGRESS, -ESRCH as st_notify_send_donating), or 1 when the ADDFD was made
 * but the CONTINUE found the call gone (interrupted: it restarts and notifies again). */
int st_notify_continue_with_fd(unsigned long long id, int donate_fd, int task_fd);
int st_notify_send_and_next(unsigned long long id, long long val, int error,
                            struct st_event *ev, int timeout_ms);
/* st_notify_send_and_next(id, r or 0, 0 or r, ev, -1) for the ev given to st_set_hot_event. */
void st_set_hot_event(struct st_event *ev);
int st_answer_and_next(unsigned long long id, long long r);
/* The same, the wait for the next event ending after timeout_ms (a pending timer's). */
int st_answer_within(unsigned long long id, long long r, int timeout_ms);
/* Reads path argument `arg` of syscall `nr` with each of its notifications (see
 * st_event.path_arg); arg -1 stops it. 0, or -EINVAL for a number or index out of range. */
int st_set_read_ahead(int nr, int arg);
/* Answers with r once the `len` bytes at `data` are written at `addr` in task `tid`, or
 * with -EFAULT if they cannot all be (a handler's (addr, data, r) result: a call whose
 * last act is a copy-out), then waits for the next event as st_answer_within (-1: no
 * timeout). */
int st_answer_write(int tid, unsigned long long addr, const char *data, unsigned long len,
                    unsigned long long id, long long r, int timeout_ms);
int st_set_return(int tid, long long val, int skip);
int st_resume(int tid, int how, int sig);
int st_return_and_resume(int tid, long long val, int how);

/* Tracee state. */
int st_seize(int tid, unsigned int options);
int st_getregs(int tid, struct st_regs *regs);
int st_setregs(int tid, const struct st_regs *regs);
int st_kill(int tid, int sig);
/* waitpid(tid, status, __WALL) that takes tid's report from the reports an injection put
 * aside (another task's met meanwhile are put aside too, for st_next_event). */
int st_wait_task(int tid, int *status);
/* The stopped task's blocked-signal mask set to `mask` (SIGKILL/SIGSTOP stay unblocked);
 * the previous one in *old. */
int st_swap_sigmask(int tid, unsigned long long mask, unsigned long long *old);
int st_getsiginfo(int tid, int *code);           /* the stopped signal's si_signo; si_code */
int st_siginfo(int tid, int set, void *info);    /* the stopped signal's 128-byte siginfo: get, set */
int st_geteventmsg(int tid, unsigned long *msg); /* a ptrace event's message (new tid …) */
int st_interrupt(int tid);                       /* PTRACE_INTERRUPT: a stop at the next chance */
int st_sigqueueinfo(int tgid, int tid, int sig, const void *info); /* tid 0: the process */
int st_listen(int tid);  /* PTRACE_LISTEN: stay in group-stop; SIGCONT reports a new stop */
/* Rewind onto the call the task is stopped at and let the host run it under PTRACE_SYSCALL;
 * the loop sees its stops (ptrace platform: allow-listed calls, clone). */
int st_rerun_start(int tid);
int st_tgkill(int tgid, int tid, int sig);

/* Memory: process_vm_readv/writev; st_mem_poke writes through /proc/pid/mem (read-only
 * pages too; only for the loader). Return bytes moved (short at a bad page) or -errno. */
long st_mem_read(int pid, unsigned long long addr, void *buf, unsigned long len);
/* A NUL-terminated string of at most `limit` bytes (NUL included) into buf: its length,
 * -EFAULT if memory ends before the NUL, -ENAMETOOLONG if there is none within limit. */
long st_mem_read_cstr(int pid, unsigned long long addr, char *buf, unsigned long limit);
long st_mem_write(int pid, unsigned long long addr, const void *buf, unsigned long len);
long st_mem_poke(int pid, unsigned long long addr, const void *buf, unsigned long len);
/* The Sentry's own pread of `len` bytes (at most 64 KiB) at `off` of host fd `fd`, copied
 * straight into task `pid` at `addr`: how many reached the task (fewer than read at a bad
 * page), or -errno; *got gets the count read. Its buffer is static: the loop's thread only,
 * like every st_mem_* caller. The task's two arguments first: a task's memory binds them
 * once (functools.partial), and a read calls the C function with no Python frame between. */
long st_pread_to_task(int pid, long *got, int fd, long long off, unsigned long len,
                      unsigned long long addr);
/* fstatat(dirfd, name, flags) of a host file the Sentry holds, as the raw 144-byte x86-64
 * struct stat into buf: 0 or -errno. */
int st_fstatat_raw(int dirfd, const char *name, int flags, void *buf);

/* Injection: run host syscall `nr` in stopped tracee `tid`; registers are restored after
 * (except after a successful exec, which leaves the new image's).
 * *result gets the syscall's return value; *sig a signal that arrived meanwhile (to
 * re-deliver on resume) or 0; *status the wait status if the task died, else -1. Returns 0, or
 * -ESRCH if the task is gone (then *status is its wait status), or -ENOTRECOVERABLE if
 * the task ran something other than the injected call and was killed for it (fail closed;
 * *status as for ESRCH). For an exec: `exec_tid` is
 * the tid the task has after it (its thread-group leader's; `tid` itself for the leader),
 * and the other threads' exits (`others`, n_others host tids, zeroed as they are reaped)
 * are reaped meanwhile, since the exec waits for them; else n_others is 0. */
int st_inject(int tid, int exec_tid, int *others, int n_others, int where,
              unsigned long long stub_ip, long long nr, const unsigned long long *args,
              int notif, int donate_fd, long long *result, int *sig, int *status);

/* Runs the stub's batch of host calls (native/stub.c) in stopped tracee `tid`: rip, rbx
 * (the table's address) and r12 (the base) set, resumed until the batch's int3 (`trap_ip`
 * once taken; the task stays stopped there). The table's doorbell (`doorbell_nr`, issued
 * at `sys_ip`) gets fds[i] onto slots[i] for every i < nfds (close-on-exec, the last one
 * with the answer); its mmaps of the batch slots take no stop (the filter's prefix), other
 * file mmaps pass their seccomp stop. Results are in the table. With `enter` (a batch
 * that ends by entering the program, native/stub.c) it returns once the doorbell is
 * answered, the task running on; a failed row then stops it at the int3 as a SIGTRAP
 * the loop sees. *sig, *status and the return value as for st_inject. */
int st_run_batch(int tid, unsigned long long rip, unsigned long long table,
                 unsigned long long base, unsigned long long sys_ip,
                 unsigned long long trap_ip, long long doorbell_nr, const int *fds,
                 const int *slots, int nfds, int enter, int *sig, int *status);

/* At a seccomp stop (seccomp platform): runs the trapped call on the host in place with
 * r8 replaced, returning through the stub's st_r8_return (`tramp_ip`), which restores
 * the task's r8; the task is resumed. 0 or -errno. */
int st_run_in_place_r8(int tid, unsigned long long r8, unsigned long long tramp_ip);

/* Rewinds a task stopped after a syscall (an injection's exit, registers restored) onto
 * its syscall instruction, number from orig_rax, and resumes it: the call traps again. */
int st_retrap(int tid);

/* clock_gettime/clock_getres of a host clock id on the Sentry's behalf (CPU clocks of
 * tasks, with host pids). Fill sec/nsec; 0 or -errno. */
int st_clock(int clockid, int res, long long *sec, long long *nsec);

/* sched_{get,set}affinity for a task's host tid; bytes copied (get) or 0, or -errno. */
int st_affinity(int tid, int set, unsigned long len, unsigned char *mask);
/* get_robust_list of a task's thread: its robust futex list head and length, 0 or -errno. */
int st_robust_list(int tid, unsigned long long *head, unsigned long long *len);
/* sched_getattr of a task's thread: its sched_runtime (a fair task's slice), 0 or -errno. */
int st_sched_runtime(int tid, unsigned long long *runtime);

/* The stub image (a static ELF) embedded at build time. */
unsigned long st_stub_size(void);
const unsigned char *st_stub_image(void);
