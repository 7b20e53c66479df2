// Group stop and continue: wait4/waitid WUNTRACED/WSTOPPED/WCONTINUED/WNOWAIT, SIGCHLD's
// CLD_STOPPED/CLD_CONTINUED codes, SA_NOCLDSTOP, a stopped thread group, P_PGID.
// covers: wait4, waitid, kill, tgkill, setpgid, rt_sigaction
// area: processes and credentials
#include "probe.h"
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t codes[16], ncodes;

static void on_chld(int sig, siginfo_t *si, void *uc) {
    if (ncodes < 16) codes[ncodes++] = si->si_code;
}

static void show_codes(const char *what) {
    printf("%s: SIGCHLD codes:", what);
    for (int i = 0; i < ncodes; i++)
        printf(" %s", codes[i] == CLD_STOPPED ? "STOPPED" : codes[i] == CLD_CONTINUED ? "CONTINUED"
                      : codes[i] == CLD_EXITED ? "EXITED" : codes[i] == CLD_KILLED ? "KILLED" : "?");
    printf("\n");
    ncodes = 0;
}

static void show_status(const char *what, pid_t want, pid_t got, const int *stp) {
    int st = *stp;
    printf("%s: %s", what, got == want ? "pid" : got == 0 ? "0" : "other");
    if (got > 0) {
        if (WIFSTOPPED(st)) printf(" stopped %d", WSTOPSIG(st));
        else if (WIFCONTINUED(st)) printf(" continued");
        else if (WIFEXITED(st)) printf(" exited %d", WEXITSTATUS(st));
        else if (WIFSIGNALED(st)) printf(" killed %d", WTERMSIG(st));
    } else if (got < 0) {
        printf(" %s", probe_errname(errno));
    }
    printf("\n");
}

static void *spin(void *p) {
    for (;;) pause();
    return p;
}

static void set_handler(int flags) {
    struct sigaction sa = {0};
    sa.sa_sigaction = on_chld;
    sa.sa_flags = SA_SIGINFO | SA_RESTART | flags;
    sigaction(SIGCHLD, &sa, NULL);
}

int main(void) {
    int st, fds[2];
    siginfo_t si;
    set_handler(0);

    // 1. A child stops itself; the parent sees the stop, continues it, sees that too.
    if (pipe(fds)) return 1;
    pid_t c = fork();
    if (c == 0) {
        char b;
        close(fds[1]);
        raise(SIGSTOP);
        _exit(read(fds[0], &b, 1) == 0 ? 4 : 3);  // stays until the parent closes the pipe
    }
    close(fds[0]);
    show_status("WUNTRACED", c, waitpid(c, &st, WUNTRACED), &st);
    SHOW("WUNTRACED|WNOHANG again", waitpid(c, &st, WUNTRACED | WNOHANG));
    SHOW("kill SIGCONT", kill(c, SIGCONT));
    show_status("WCONTINUED", c, waitpid(c, &st, WCONTINUED), &st);
    usleep(100000);  // the continued SIGCHLD, before the exit's (they would coalesce)
    close(fds[1]);
    show_status("exit", c, waitpid(c, &st, 0), &st);
    show_codes("self-stop");

    // 2. A child parked in a pipe read is stopped; WNOWAIT keeps the report.
    if (pipe(fds)) return 1;
    c = fork();
    if (c == 0) {
        char buf[8];
        close(fds[1]);
        ssize_t n = read(fds[0], buf, sizeof buf);
        _exit(n == 3 ? 5 : 6);
    }
    close(fds[0]);
    usleep(100000);
    SHOW("kill SIGSTOP", kill(c, SIGSTOP));  // SIGTSTP would be dropped in an orphaned group
    memset(&si, 0, sizeof si);
    SHOW("waitid WSTOPPED|WNOWAIT", waitid(P_PID, c, &si, WSTOPPED | WNOWAIT));
    printf("si_code %d si_status %d pid_ok %d\n", si.si_code, si.si_status, si.si_pid == c);
    memset(&si, 0, sizeof si);
    SHOW("waitid WSTOPPED", waitid(P_PID, c, &si, WSTOPPED));
    printf("si_code %d si_status %d\n", si.si_code, si.si_status);
    memset(&si, 0, sizeof si);
    SHOW("waitid WSTOPPED|WNOHANG", waitid(P_PID, c, &si, WSTOPPED | WNOHANG));
    printf("si_pid %d\n", si.si_pid);
    SHOW("kill SIGCONT", kill(c, SIGCONT));
    memset(&si, 0, sizeof si);
    SHOW("waitid WCONTINUED", waitid(P_ALL, 0, &si, WCONTINUED));
    printf("si_code %d si_status %d\n", si.si_code, si.si_status);
    usleep(100000);
    SHOW("write", write(fds[1], "abc", 3));
    show_status("exit after the read", c, waitpid(c, &st, 0), &st);
    close(fds[1]);
    show_codes("stopped in read");

    // 3. SA_NOCLDSTOP: no SIGCHLD for stop and continue, still one for the exit.
    set_handler(SA_NOCLDSTOP);
    c = fork();
    if (c == 0) {
        raise(SIGSTOP);
        _exit(0);
    }
    show_status("WUNTRACED", c, waitpid(c, &st, WUNTRACED), &st);
    kill(c, SIGCONT);
    usleep(100000);
    show_status("exit", c, waitpid(c, &st, 0), &st);
    show_codes("SA_NOCLDSTOP");
    set_handler(0);

    // 4. A process with threads stops and continues as a whole; P_PGID selects it.
    c = fork();
    if (c == 0) {
        pthread_t th[3];
        setpgid(0, 0);
        for (int i = 0; i < 3; i++) pthread_create(&th[i], NULL, spin, NULL);
        for (;;) pause();
    }
    setpgid(c, c);
    usleep(100000);
    SHOW("kill SIGSTOP", kill(c, SIGSTOP));
    memset(&si, 0, sizeof si);
    SHOW("waitid P_PGID WSTOPPED", waitid(P_PGID, c, &si, WSTOPPED));
    printf("si_code %d si_status %d pid_ok %d\n", si.si_code, si.si_status, si.si_pid == c);
    SHOW("kill -pgid SIGCONT", kill(-c, SIGCONT));
    show_status("WCONTINUED", c, waitpid(-c, &st, WCONTINUED), &st);
    usleep(100000);  // the continued group's SIGCHLD comes once one of its threads runs
    SHOW("kill SIGKILL", kill(c, SIGKILL));
    show_status("killed", c, waitpid(c, &st, WUNTRACED | WCONTINUED), &st);
    show_codes("threads");

    // 5. errno cases.
    SHOW("waitid no options", waitid(P_ALL, 0, &si, 0));
    SHOW("waitid bad idtype", waitid(7, 0, &si, WEXITED));
    SHOW("waitpid bad option", waitpid(-1, &st, 0x100));
    SHOW("waitpid WUNTRACED no child", waitpid(-1, &st, WUNTRACED));
    return 0;
}
