// Processes: fork/wait statuses, process groups, sessions and credential changes in a child.
// covers: clone, wait4, waitid, exit_group, getpgid, setpgid, setsid, getsid, setuid, setreuid, setresuid, setresgid, setgroups, getgroups, setfsuid, kill, tgkill
// area: processes and credentials
#include "probe.h"
#include <grp.h>
#include <signal.h>
#include <sys/fsuid.h>
#include <sys/wait.h>
#include <unistd.h>

static void child_ids(void) {
    gid_t g[2] = {5, 7};
    SHOW("setsid", setsid() == getpid());
    YESNO("getsid(0) == getpid()", getsid(0) == getpid());
    SHOW("setgroups(2)", setgroups(2, g));
    SHOW("getgroups(0)", getgroups(0, NULL));
    SHOW("setresgid(100,100,100)", setresgid(100, 100, 100));
    SHOW("setresuid(1000,1000,1000)", setresuid(1000, 1000, 1000));
    printf("ids: %d %d %d %d\n", getuid(), geteuid(), getgid(), getegid());
    SHOW("setuid(0)", setuid(0));
    SHOW("setgroups(0)", setgroups(0, NULL));
    SHOW("setreuid(-1,1000)", setreuid(-1, 1000));
    SHOW("setfsuid(1000)", setfsuid(1000));
    SHOW("setpgid(0,1)", setpgid(0, 1));
    SHOW("kill(1, 0)", kill(1, 0) == 0 || errno == EPERM);
    fflush(stdout);
}

int main(void) {
    int st;
    SHOW("setpgid(0,0)", setpgid(0, 0));
    YESNO("getpgid(0) == getpid()", getpgid(0) == getpid());
    SHOW("setsid (group leader)", setsid());
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        child_ids();
        _exit(3);
    }
    SHOW("waitpid", waitpid(p, &st, 0) == p);
    printf("exited %d code %d\n", WIFEXITED(st), WEXITSTATUS(st));
    SHOW("waitpid again", waitpid(p, &st, 0));
    SHOW("setpgid(reaped child)", setpgid(p, 0));
    p = fork();
    if (p == 0) {
        raise(SIGTERM);
        _exit(0);
    }
    SHOW("waitpid", waitpid(p, &st, 0) == p);
    printf("signaled %d sig %d\n", WIFSIGNALED(st), WTERMSIG(st));
    p = fork();
    if (p == 0) {
        pause();
        _exit(0);
    }
    SHOW("waitpid WNOHANG", waitpid(p, &st, WNOHANG));
    SHOW("kill child", kill(p, SIGKILL));
    siginfo_t si;
    SHOW("waitid", waitid(P_PID, p, &si, WEXITED));
    printf("si_code %d si_status %d pid_ok %d\n", si.si_code, si.si_status, si.si_pid == p);
    SHOW("wait (no children)", wait(&st));
    return 0;
}
