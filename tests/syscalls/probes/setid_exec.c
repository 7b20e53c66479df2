// execve of set-user-ID and set-group-ID programs (no file capabilities): the effective
// and saved ids, AT_SECURE and dumpability they give, no_new_privs cancelling them; the
// dumpable flag across fork, exec and id changes, and who owns /proc/<pid>'s files. A copy of the probe in /tmp (which any
// uid can reach) is made set-id root.
// covers: execve, prctl, setresuid, setresgid, chmod, chown
// area: processes and credentials
#include "probe.h"
#include <fcntl.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void show_ids(const char *what) {
    uid_t r, e, s;
    gid_t rg, eg, sg;
    getresuid(&r, &e, &s);
    getresgid(&rg, &eg, &sg);
    printf("%s: uid %d %d %d gid %d %d %d AT_SECURE %lu dumpable %d\n", what, r, e, s, rg, eg,
           sg, getauxval(AT_SECURE), prctl(PR_GET_DUMPABLE));
}

static void copy(const char *from, const char *to) {
    int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0755);
    char buf[65536];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0)
        write(out, buf, n);
    close(in);
    close(out);
}

/* Runs `prog` in a child that first takes uid/gid 1000 (unless root), maybe with NNP. */
static void run(const char *what, const char *prog, int as_root, int nnp) {
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        if (nnp)
            prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        if (!as_root) {
            setresgid(1000, 1000, 1000);
            setresuid(1000, 1000, 1000);
        }
        execl(prog, prog, "--show", what, (char *)0);
        printf("%s: exec failed: %s\n", what, probe_errname(errno));
        _exit(127);
    }
    waitpid(c, 0, 0);
}

int main(int argc, char **argv) {
    if (argc > 2 && !strcmp(argv[1], "--show")) {
        show_ids(argv[2]);
        return 0;
    }
    char suid[64], sgid[64], plain[64];
    snprintf(suid, sizeof suid, "/tmp/setid-probe-%d-u", getpid());
    snprintf(sgid, sizeof sgid, "/tmp/setid-probe-%d-g", getpid());
    snprintf(plain, sizeof plain, "/tmp/setid-probe-%d-p", getpid());
    copy("/proc/self/exe", suid);
    copy("/proc/self/exe", sgid);
    copy("/proc/self/exe", plain);
    SHOW("chown the set-gid copy to group 50", chown(sgid, 0, 50));
    SHOW("chmod 4755", chmod(suid, 04755));
    SHOW("chmod 2755", chmod(sgid, 02755));
    run("plain, as root", plain, 1, 0);
    run("plain, as 1000", plain, 0, 0);
    run("set-uid root, as 1000", suid, 0, 0);
    run("set-gid 50, as 1000", sgid, 0, 0);
    run("set-uid root, as 1000, no_new_privs", suid, 0, 1);
    run("set-uid root, as root", suid, 1, 0);
    SHOW("chmod 2745 (no group execute)", chmod(sgid, 02745));
    run("set-gid without group execute, as 1000", sgid, 0, 0);

    printf("dumpable: %d\n", prctl(PR_GET_DUMPABLE));
    SHOW("PR_SET_DUMPABLE 0", prctl(PR_SET_DUMPABLE, 0));
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        printf("a fork's child: dumpable %d\n", prctl(PR_GET_DUMPABLE));
        fflush(stdout);
        execl(plain, plain, "--show", "after its exec", (char *)0);
        _exit(127);
    }
    waitpid(c, 0, 0);
    prctl(PR_SET_DUMPABLE, 1);
    fflush(stdout);
    c = fork();
    if (c == 0) {
        setresuid(-1, 1000, -1);
        printf("after an euid change: dumpable %d\n", prctl(PR_GET_DUMPABLE));
        prctl(PR_SET_DUMPABLE, 1);
        setresuid(-1, 0, -1);
        printf("back to euid 0: dumpable %d\n", prctl(PR_GET_DUMPABLE));
        prctl(PR_SET_DUMPABLE, 1);
        setresuid(-1, -1, 0);
        printf("a saved-uid change only: dumpable %d\n", prctl(PR_GET_DUMPABLE));
        fflush(stdout);
        _exit(0);
    }
    waitpid(c, 0, 0);
    fflush(stdout);
    c = fork();
    if (c == 0) {  // who owns /proc/<pid>'s files: root's while not dumpable
        struct stat st;
        setresgid(1000, 1000, 1000);
        setresuid(1000, 1000, 1000);
        stat("/proc/self/status", &st);
        printf("/proc/self/status after setuid (not dumpable): uid %d\n", st.st_uid);
        prctl(PR_SET_DUMPABLE, 1);
        stat("/proc/self/status", &st);
        printf("dumpable again: uid %d\n", st.st_uid);
        prctl(PR_SET_DUMPABLE, 0);
        stat("/proc/self/status", &st);
        printf("PR_SET_DUMPABLE 0: uid %d\n", st.st_uid);
        stat("/proc/self", &st);
        printf("/proc/self itself: uid %d\n", st.st_uid);
        fflush(stdout);
        _exit(0);
    }
    waitpid(c, 0, 0);
    unlink(suid);
    unlink(sgid);
    unlink(plain);
    return 0;
}
