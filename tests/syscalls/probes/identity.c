// Identity: uids/gids are 0 (root natively, root in the sandbox); pid facts that hold in both.
// covers: getuid, getgid, geteuid, getegid, getresuid, getresgid, getpid, getppid, gettid, getpgid, getsid, kill
// area: processes and credentials
#include "probe.h"
#include <sys/syscall.h>
#include <signal.h>
#include <unistd.h>

int main(void) {
    uid_t r, e, s;
    gid_t gr, ge, gs;
    SHOW("getuid", getuid());
    SHOW("geteuid", geteuid());
    SHOW("getgid", getgid());
    SHOW("getegid", getegid());
    SHOW("getresuid", getresuid(&r, &e, &s));
    printf("resuid: %u %u %u\n", r, e, s);
    SHOW("getresgid", getresgid(&gr, &ge, &gs));
    printf("resgid: %u %u %u\n", gr, ge, gs);
    SHOW("getresuid(bad ptr)", syscall(SYS_getresuid, (void *)8, &e, &s));
    /* The sandboxed pid is 1 and its parent 0; natively neither: print only what both share. */
    pid_t pid = getpid();
    YESNO("getpid() == gettid()", pid == gettid());
    YESNO("getpid() > 0", pid > 0);
    YESNO("getppid() >= 0", getppid() >= 0);
    YESNO("getpgid(0) >= 0", getpgid(0) >= 0);
    YESNO("getsid(0) >= 0", getsid(0) >= 0);
    SHOW("kill(getpid(), 0)", kill(pid, 0));
    SHOW("getpgid(-1)", getpgid(-1));
    return 0;
}
