// build: -static
/*
 * Syscall fuzzer: random syscall numbers with nasty arguments, from inside the sandbox.
 *
 *   fuzz SEED NCALLS [BATCH [FIRST_BATCH]]
 *
 * Seeded and reproducible: batch k runs with its own seed (mix(SEED, k)) in a forked child
 * that maps its scratch arena at a fixed address, so `fuzz SEED N BATCH k` replays batch k
 * alone with the same numbers and the same argument values. The parent (the sandbox's init)
 * reaps, watches each batch (a child that makes no progress for BATCH_TIMEOUT seconds is
 * killed and reported as "hang") and prints, at the end, a summary the driver
 * (tests/security/test_fuzz.py) checks against the syscall table:
 *
 *   calls N batches B seed S
 *   death SIG COUNT              batches that died of signal SIG (the workload's own doing)
 *   hang BATCH NR A0 ... A5      a batch stuck in one call
 *   inflight NR SIG              the call a batch was in when it died (it may never have
 *                                reached the Sentry)
 *   nr NR issued I ok O err ERRNO:COUNT,...
 *
 * The fuzzer must not kill itself uselessly: exit, exit_group, rt_sigreturn, pause,
 * rt_sigsuspend, alarm and setitimer (the interrupt timer) are never issued; calls that
 * change signal dispositions or masks get no new set; signals SIGKILL and SIGSTOP become
 * signal 0; arch_prctl never sets FS/GS; calls that map, unmap or protect at a given address
 * are pointed into the arena. A clone-family child exits at once from inline assembly,
 * touching no memory (its stack may be anything). Blocking calls are cut by a SIGALRM
 * every INTERRUPT_MS without SA_RESTART.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#define NR_SLOTS 1024
#define MAX_ERRNO 134 /* 1..133 are Linux's errno values (EHWPOISON = 133); 0 = invalid */
#define ARENA ((char *)0x200000000000UL)
#define ARENA_SIZE (64 * 4096UL)
#define RO_PAGE (ARENA + ARENA_SIZE)
#define GUARD_LO (ARENA - 4096)
#define GUARD_HI (RO_PAGE + 4096)
#define SPAN_LO GUARD_LO
#define SPAN_SIZE (ARENA_SIZE + 3 * 4096)
#define INTERRUPT_MS 20
#define BATCH_TIMEOUT 20

struct stats {
    uint64_t issued[NR_SLOTS], ok[NR_SLOTS];
    uint64_t err[NR_SLOTS][MAX_ERRNO];
    volatile uint64_t progress; /* calls made by the running batch */
    volatile long cur[7];       /* the call in flight: nr, a0..a5 */
    volatile long fault[2];     /* a fault of the fuzzer's own code: address, rip */
};

static struct stats *st;
static uint64_t rng;
static long results[16];
static uint64_t brk0; /* the heap's end when the batch starts */ /* recent non-negative results (fds, ids) reused as arguments */

static uint64_t mix(uint64_t x) { /* splitmix64 */
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static uint64_t rnd(void) { return rng = mix(rng); }

static long raw(long nr, const long *a) {
    long r;
    register long r10 __asm__("r10") = a[3], r8 __asm__("r8") = a[4], r9 __asm__("r9") = a[5];
    __asm__ volatile("syscall"
                     : "=a"(r)
                     : "a"(nr), "D"(a[0]), "S"(a[1]), "d"(a[2]), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return r;
}

/* A clone-family call: the new task exits at once without touching memory. */
static long raw_clone(long nr, const long *a) {
    long r;
    register long r10 __asm__("r10") = a[3], r8 __asm__("r8") = a[4], r9 __asm__("r9") = a[5];
    __asm__ volatile("syscall\n\t"
                     "test %%rax, %%rax\n\t"
                     "jnz 1f\n\t"
                     "mov $60, %%eax\n\t"
                     "xor %%edi, %%edi\n\t"
                     "syscall\n\t"
                     "1:"
                     : "=a"(r)
                     : "a"(nr), "D"(a[0]), "S"(a[1]), "d"(a[2]), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return r;
}

static const char *const PATHS[] = {
    "/", ".", "..", "/proc/self/mem", "/proc/self/fd/0", "/proc/1/root/etc", "/dev/null",
    "/dev/zero", "/tmp", "fz", "fz/a", "/etc/passwd", "/proc/self/maps", "/sys", "",
    "/proc/self/exe", "/dev/ptmx", "/proc/self/status", "../../../..", "/proc/self/cwd/fz",
};

static uint64_t nasty(void) {
    switch (rnd() % 17) {
    case 0: return 0;
    case 1: return rnd() % 4096;
    case 2: return (uint64_t)-1 - rnd() % 8;
    case 3: return (uint64_t)ARENA + rnd() % ARENA_SIZE;
    case 4: return (uint64_t)ARENA + 4096 * (rnd() % 8); /* aligned, holds a path or junk */
    case 5: return (uint64_t)GUARD_LO + rnd() % 4096;
    case 6: return (uint64_t)RO_PAGE + rnd() % 4096;
    case 7: return (uint64_t)ARENA + ARENA_SIZE - 1 - rnd() % 64; /* straddles the RO page */
    case 8: return 0xffff800000000000ULL + (rnd() & 0xffffffffffULL);
    case 9: return rnd();
    case 10: return rnd() % 64;
    case 11: return 1ULL << (rnd() % 64);
    case 12: return 0x0000800000000000ULL - rnd() % 4096; /* top of user space, unmapped */
    case 13: return rnd() & ((1ULL << (rnd() % 33)) - 1);
    case 14: return (uint64_t[]){0x7fffffff, 0x80000000, 0xffffffff, 1UL << 31, 1UL << 63}[rnd() % 5];
    case 15: return (uint64_t)results[rnd() % 16];
    default: return (uint64_t)(GUARD_HI - 1 - rnd() % 16); /* RO page end: unaligned */
    }
}

static char child_stack[1 << 16] __attribute__((aligned(16)));

/* A pointer the kernel cannot read: small, in a guard page, or outside user space. */
static int unreadable(uint64_t a) {
    return a < 65536 || (a >= (uint64_t)GUARD_LO && a < (uint64_t)GUARD_LO + 4096) ||
           (a >= (uint64_t)GUARD_HI && a < (uint64_t)GUARD_HI + 4096) ||
           a >= 0x0000800000000000ULL;
}

static int in_arena(uint64_t a) { return a >= (uint64_t)SPAN_LO && a < (uint64_t)SPAN_LO + SPAN_SIZE; }

static uint64_t arena_addr(uint64_t a) {
    return in_arena(a) ? a & ~4095UL : (uint64_t)ARENA + 4096 * (rnd() % 64);
}

static uint64_t arena_len(uint64_t addr, uint64_t len) {
    uint64_t room = (uint64_t)SPAN_LO + SPAN_SIZE - addr;
    return len > room ? room : len;
}

/* Refill the arena: junk, NUL-terminated at random, with a known path on some pages. */
static void refill(void) {
    uint64_t *w = (uint64_t *)ARENA;
    for (size_t i = 0; i < ARENA_SIZE / 8; i++) w[i] = rnd();
    for (int p = 0; p < 8; p++) {
        char *page = ARENA + 4096 * p;
        if (rnd() % 2) strcpy(page, PATHS[rnd() % (sizeof PATHS / sizeof *PATHS)]);
        page[rnd() % 4096] = 0;
    }
}

/* Returns 0 to skip the call, 1 to issue it (arguments adjusted), 2 for a clone-family call. */
static int neuter(long nr, long *a) {
    switch (nr) {
    case SYS_exit: case SYS_exit_group: case SYS_rt_sigreturn: case SYS_pause:
    case SYS_rt_sigsuspend: case SYS_alarm: case SYS_setitimer:
        return 0;
    case SYS_rt_sigaction: case SYS_rt_sigprocmask:
        if (in_arena(a[1]) || a[1] > 4096) a[1] = 0; /* may read, may not change */
        return 1;
    case SYS_setrlimit: /* a tiny RLIMIT_CPU/AS/STACK (the host enforces them) kills the batch */
        if (!unreadable(a[1])) a[1] = 0;
        return 1;
    case SYS_prlimit64:
        if (!unreadable(a[2])) a[2] = 0;
        return 1;
    case SYS_sigaltstack:
        a[0] = 0;
        return 1;
    case SYS_kill: case SYS_tkill:
        if (a[1] == SIGKILL || a[1] == SIGSTOP) a[1] = 0;
        return 1;
    case SYS_tgkill: case SYS_rt_sigqueueinfo: case SYS_pidfd_send_signal:
        if (nr == SYS_tgkill && (a[2] == SIGKILL || a[2] == SIGSTOP)) a[2] = 0;
        if (nr != SYS_tgkill && (a[1] == SIGKILL || a[1] == SIGSTOP)) a[1] = 0;
        return 1;
    case SYS_rt_tgsigqueueinfo:
        if (a[2] == SIGKILL || a[2] == SIGSTOP) a[2] = 0;
        return 1;
    case SYS_arch_prctl:
        return (a[0] & 0xffff) != 0x1001 && (a[0] & 0xffff) != 0x1002; /* ARCH_SET_GS/FS */
    case SYS_mmap:
        if (a[3] & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
            a[0] = arena_addr(a[0]);
            a[1] = arena_len(a[0], a[1]);
        }
        return 1;
    case SYS_munmap: case SYS_mprotect: case SYS_madvise: case SYS_pkey_mprotect:
    case SYS_mlock: case SYS_munlock: case SYS_msync: case SYS_remap_file_pages:
    case SYS_process_madvise: case SYS_mlock2:
        a[0] = arena_addr(a[0]);
        a[1] = arena_len(a[0], a[1]);
        return 1;
    case SYS_mremap:
        a[0] = arena_addr(a[0]);
        a[1] = arena_len(a[0], a[1]);
        a[4] = arena_addr(a[4]);
        if (a[3] & MREMAP_FIXED) a[2] = arena_len(a[4], a[2]);
        return 1;
    case SYS_shmat:
        a[1] = arena_addr(a[1]);
        return 1;
    case SYS_shmdt:
        a[0] = arena_addr(a[0]);
        return 1;
    case SYS_brk: /* never below the start: static glibc keeps its TLS in the heap */
        if ((uint64_t)a[0] < brk0) a[0] = 0;
        return 1;
    case 462: /* mseal: sealed arena pages could never be mapped afresh for the next batch */
        return 0;
    case 335: /* uretprobe: SIGILL unless called from a uprobe trampoline; the host runs it
               * before any seccomp filter (Linux 6.11+), see THREAT-MODEL.md */
        return 0;
    case SYS_clone: {
        /* The child's exit signal to the batch: never one that stops or kills it, nor one
         * its handler would take for a fault of its own (the siginfo looks alike). */
        long sig = a[0] & 0xff;
        if (sig == SIGKILL || sig == SIGSTOP || sig == SIGSEGV || sig == SIGBUS ||
            sig == SIGILL || sig == SIGFPE)
            a[0] = (a[0] & ~0xffL) | SIGCHLD;
        /* A thread sharing our memory gets a usable stack: a signal delivered to it
         * before it exits needs room for its frame (else the kernel kills the batch). */
        if (a[0] & CLONE_VM) a[1] = (long)(child_stack + sizeof child_stack);
        return 2;
    }
    case SYS_fork: case SYS_vfork: case SYS_clone3:
        return 2;
    case SYS_munlockall: case SYS_mlockall:
        return 1;
    default:
        return 1;
    }
}

static void on_signal(int sig, siginfo_t *si, void *uc) {
    /* A fault of the fuzzer's own code (not a signal some call sent): give up the batch. */
    long rip = (long)((ucontext_t *)uc)->uc_mcontext.gregs[REG_RIP];
    /* A signal delivered as a call returns (rip just after `syscall`) was sent (a clone
     * child's exit signal may be SIGBUS with si_code CLD_EXITED): not a fault. */
    if (*(const unsigned short *)(rip - 2) == 0x050f) return;
    if (*(const unsigned short *)rip == 0x050f) return; /* ... or as it is restarted */
    if ((sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE) && si->si_code > 0) {
        st->fault[0] = (long)si->si_addr;
        st->fault[1] = rip;
        syscall(SYS_exit_group, 100 + sig);
    }
}

static void handle_all(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_signal;
    sa.sa_flags = SA_SIGINFO; /* no SA_RESTART: blocking calls end with EINTR */
    for (int s = 1; s < 65; s++)
        if (s != SIGKILL && s != SIGSTOP && s != SIGCHLD) sigaction(s, &sa, NULL);
}

static long pick_nr(void) {
    uint64_t r = rnd() % 1000;
    if (r < 950) return (long)(rnd() % 463);       /* the x86-64 table, 0..462 */
    if (r < 995) return 463 + (long)(rnd() % 560); /* beyond it, up to 1022 */
    return -1; /* below -1 the x32 bit is set: the filter kills (as for any other ABI) */
}

static int slot(long nr) { return nr >= 0 && nr < NR_SLOTS - 1 ? (int)nr : NR_SLOTS - 1; }

/* (Re)maps the arena: guard page, 64 read-write pages of junk and paths, a read-only page,
 * guard page. Calls may have unmapped or protected any of it. */
static void setup_arena(void) {
    char *m = mmap(SPAN_LO, SPAN_SIZE, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (m != SPAN_LO) syscall(SYS_exit_group, 3);
    refill();
    mprotect(GUARD_LO, 4096, PROT_NONE);
    mprotect(GUARD_HI, 4096, PROT_NONE);
    mprotect(RO_PAGE, 4096, PROT_READ);
}

static void run_batch(uint64_t seed, uint64_t n) {
    rng = seed;
    handle_all();
    setup_arena();
    memset(results, 0, sizeof results);
    brk0 = (uint64_t)syscall(SYS_brk, 0);
    struct itimerval it = {{0, INTERRUPT_MS * 1000}, {0, INTERRUPT_MS * 1000}};
    setitimer(ITIMER_REAL, &it, NULL);
    for (uint64_t i = 0; i < n; i++) {
        long nr = pick_nr(), a[6];
        for (int k = 0; k < 6; k++) a[k] = (long)nasty();
        if (i % 64 == 63) setup_arena();
        int how = neuter(nr, a);
        /* Now and then the high half of rax is set: the kernel reads eax only. */
        long issue = nr >= 0 && rnd() % 100 == 0 ? nr | (1L << 32) : nr;
        st->cur[0] = issue;
        for (int k = 0; k < 6; k++) st->cur[k + 1] = a[k];
        st->progress++;
        if (!how) continue;
        int s = slot(nr);
        st->issued[s]++;
        long r = how == 2 ? raw_clone(issue, a) : raw(issue, a);
        if (r < 0 && r >= -4095)
            st->err[s][-r < MAX_ERRNO ? -r : 0]++;
        else {
            st->ok[s]++;
            if (nr != SYS_brk) results[rnd() % 16] = r;
        }
    }
    syscall(SYS_exit_group, 0);
}

static char notes[1 << 16]; /* hang and batch lines, printed after the summary marker */
static size_t notes_len;

static void note(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(notes + notes_len, sizeof notes - notes_len, fmt, ap);
    va_end(ap);
    if (n > 0 && notes_len + n < sizeof notes) notes_len += n;
}

static void reap_others(void) {
    while (waitpid(-1, NULL, WNOHANG | __WALL) > 0) {
    }
}

/* Runs one batch in a child; returns its wait status, or -1 if it hung and was killed. */
static int watch(pid_t pid, uint64_t *last) {
    int status;
    time_t since = time(NULL);
    uint64_t seen = st->progress;
    for (;;) {
        pid_t w = waitpid(pid, &status, WNOHANG | __WALL);
        if (w == pid) return status;
        /* Other children (the batches' orphans) are reaped only between batches: a
         * waitpid(-1) racing with the batch's own exit hits a Sentry bug (see
         * THREAT-MODEL.md, "wait4(-1) answered by the host"). */
        if (st->progress != seen) {
            seen = st->progress;
            since = time(NULL);
        } else if (time(NULL) - since > BATCH_TIMEOUT) {
            *last = seen;
            if (getenv("FUZZ_HANG_PAUSE")) { /* debugging: leave it stuck to be looked at */
                fprintf(stderr, "fuzz: batch pid %d hung; pausing\n", pid);
                sleep(atoi(getenv("FUZZ_HANG_PAUSE")));
            }
            kill(pid, SIGKILL);
            waitpid(pid, &status, __WALL);
            return -1;
        }
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL);
    }
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: fuzz SEED NCALLS [BATCH [FIRST_BATCH]]\n");
        return 2;
    }
    uint64_t seed = strtoull(argv[1], NULL, 0), total = strtoull(argv[2], NULL, 0);
    uint64_t batch = argc > 3 ? strtoull(argv[3], NULL, 0) : 2000;
    uint64_t first = argc > 4 ? strtoull(argv[4], NULL, 0) : 0;
    st = mmap(NULL, sizeof *st, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (st == MAP_FAILED) return 3;
    handle_all(); /* the init of the sandbox: signals the batches send reach it too */
    uint64_t done = 0, batches = 0, deaths[65] = {0};
    while (done < total) {
        uint64_t n = total - done < batch ? total - done : batch, k = first + batches;
        st->progress = 0;
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            return 4;
        }
        if (pid == 0) run_batch(mix(seed ^ mix(k)), n);
        uint64_t last = 0;
        int status = watch(pid, &last);
        reap_others();
        if (status == -1) {
            note("hang %llu %ld %lx %lx %lx %lx %lx %lx\n", (unsigned long long)k, st->cur[0],
                   st->cur[1], st->cur[2], st->cur[3], st->cur[4], st->cur[5], st->cur[6]);
        } else if (WIFSIGNALED(status)) {
            deaths[WTERMSIG(status) & 63]++;
            note("inflight %ld %d\n", st->cur[0], WTERMSIG(status));
        } else if (WEXITSTATUS(status) != 0) {
            note("inflight %ld %d\n", st->cur[0], 0);
            note("batch %llu exited %d after call %ld (fault at %lx, rip %lx)\n",
                   (unsigned long long)k, WEXITSTATUS(status), st->cur[0], st->fault[0],
                   st->fault[1]);
        }
        /* A batch cut short (killed, or hung) counts what it made; the next goes on. */
        done += st->progress == 0 ? 1 : st->progress < n ? st->progress : n;
        batches++;
    }
    reap_others();
    uint64_t calls = 0;
    for (int s = 0; s < NR_SLOTS; s++) calls += st->issued[s];
    /* The batches may have written junk to stdout: the summary follows a marker line. */
    printf("\n== fuzz summary ==\n%s", notes);
    printf("calls %llu batches %llu seed %llu\n", (unsigned long long)calls,
           (unsigned long long)batches, (unsigned long long)seed);
    for (int s = 1; s < 65; s++)
        if (deaths[s]) printf("death %d %llu\n", s, (unsigned long long)deaths[s]);
    for (int s = 0; s < NR_SLOTS; s++) {
        if (!st->issued[s]) continue;
        printf("nr %d issued %llu ok %llu err ", s == NR_SLOTS - 1 ? -1 : s,
               (unsigned long long)st->issued[s], (unsigned long long)st->ok[s]);
        int first_err = 1;
        for (int e = 0; e < MAX_ERRNO; e++)
            if (st->err[s][e]) {
                printf("%s%d:%llu", first_err ? "" : ",", e, (unsigned long long)st->err[s][e]);
                first_err = 0;
            }
        printf("%s\n", first_err ? "-" : "");
    }
    return 0;
}
