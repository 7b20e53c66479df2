// sethostname and setdomainname in the sandbox's UTS namespace (natively the probe
// first enters one of its own, as root), seen by uname and /proc/sys/kernel.
// covers: sethostname, setdomainname, uname
// area: identity
#include "probe.h"
#include <fcntl.h>
#include <sched.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

static void show_uts(const char *what) {
    struct utsname u;
    uname(&u);
    printf("%s: nodename \"%s\", domainname \"%s\"\n", what, u.nodename, u.domainname);
    char buf[128] = {0};
    int fd = open("/proc/sys/kernel/hostname", O_RDONLY);
    long n = read(fd, buf, sizeof buf - 1);
    close(fd);
    show_bytes("/proc/sys/kernel/hostname", buf, n);
}

int main(void) {
    unshare(CLONE_NEWUTS);
    SHOW("sethostname(probe-host)", sethostname("probe-host", 10));
    SHOW("setdomainname(probe.example)", setdomainname("probe.example", 13));
    show_uts("after both");
    char name[70];
    memset(name, 'x', sizeof name);
    SHOW("sethostname(64 bytes)", sethostname(name, 64));
    SHOW("sethostname(65 bytes)", sethostname(name, 65));
    SHOW("sethostname(length -1)", syscall(SYS_sethostname, name, -1));
    SHOW("sethostname(bad pointer)", syscall(SYS_sethostname, 8, 4));
    SHOW("setdomainname(65 bytes)", setdomainname(name, 65));
    SHOW("sethostname(a prefix of a longer string)", sethostname("shortened", 5));
    show_uts("after the prefix");
    char got[80] = {0};
    SHOW("gethostname", gethostname(got, sizeof got));
    printf("gethostname: %s\n", got);
    SHOW("sethostname(length 0)", sethostname("", 0));
    show_uts("after length 0");
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        setuid(65534);
        SHOW("sethostname as nobody", sethostname("nope", 4));
        SHOW("setdomainname as nobody", setdomainname("nope", 4));
        fflush(stdout);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    return 0;
}
