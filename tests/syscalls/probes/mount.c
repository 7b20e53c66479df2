// mount(2) and umount2(2) of tmpfs, proc, bind mounts, remounts, moves and propagation
// types, with their errno cases. Natively the probe first enters a mount namespace of its
// own (as root), so nothing it mounts is seen outside; in the sandbox that unshare fails
// (no namespaces) and the mounts are the Sentry's.
// covers: mount, umount2
// area: files
// usage: mount SCRATCH   (SCRATCH must not exist yet; its parent must)
#include "probe.h"
#include <fcntl.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#define TMPFS_MAGIC 0x01021994
#define PROC_SUPER_MAGIC 0x9fa0

static char base[4096];

static const char *at(const char *name) {
    static char bufs[8][4200];
    static int n;
    char *b = bufs[n++ % 8];
    snprintf(b, 4200, "%s/%s", base, name);
    return b;
}

static int exists(const char *name) {
    struct stat st;
    return stat(at(name), &st) == 0;
}

static void put(const char *name, const char *text) {
    int fd = open(at(name), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
        write(fd, text, strlen(text));
        close(fd);
    }
}

static int in_mounts(const char *name) {
    FILE *f = fopen("/proc/self/mounts", "r");
    char line[8192], want[4300];
    int found = 0;
    snprintf(want, sizeof want, " %s ", at(name));
    while (f && fgets(line, sizeof line, f))
        if (strstr(line, want))
            found = 1;
    if (f)
        fclose(f);
    return found;
}

int main(int argc, char **argv) {
    if (argc < 2)
        return 2;
    snprintf(base, sizeof base, "%s", argv[1]);
    if (unshare(CLONE_NEWNS) == 0)
        mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
    SHOW("mkdir(scratch)", mkdir(base, 0755));
    mkdir(at("a"), 0755);
    mkdir(at("b"), 0755);
    mkdir(at("c"), 0755);
    mkdir(at("d"), 0755);
    put("file", "x");
    put("a/under", "lower");

    /* A new tmpfs. */
    SHOW("mount(tmpfs)", mount("scratchfs", at("a"), "tmpfs", 0, "mode=0700,size=64k"));
    struct statfs sf;
    statfs(at("a"), &sf);
    YESNO("mount(tmpfs) statfs type is tmpfs", sf.f_type == TMPFS_MAGIC);
    struct stat st;
    stat(at("a"), &st);
    printf("mount(tmpfs) root mode: %o\n", st.st_mode & 07777);
    YESNO("mount(tmpfs) hides what was under it", !exists("a/under"));
    YESNO("mount(tmpfs) listed in /proc/self/mounts", in_mounts("a"));
    put("a/new", "y");
    YESNO("mount(tmpfs) takes files", exists("a/new"));
    int big = open(at("a/big"), O_WRONLY | O_CREAT, 0644);
    static char chunk[65536];
    long w = 0, r;
    while ((r = write(big, chunk, sizeof chunk)) > 0)
        w += r;
    printf("mount(tmpfs, size=64k) write past the size: %s\n", probe_errname(errno));
    close(big);
    unlink(at("a/big"));

    /* A second tmpfs over the first: the top one shows; unmounting it shows the first. */
    SHOW("mount(tmpfs) over a mount", mount("top", at("a"), "tmpfs", 0, NULL));
    YESNO("mount(tmpfs) over a mount hides the first", !exists("a/new"));
    SHOW("umount2(top)", umount2(at("a"), 0));
    YESNO("umount2(top) shows the first again", exists("a/new"));

    /* Busy mounts. */
    int fd = open(at("a/new"), O_RDONLY);
    SHOW("umount2(busy: an open file)", umount2(at("a"), 0));
    SHOW("umount2(MNT_DETACH, busy)", umount2(at("a"), MNT_DETACH));
    char c = 0;
    SHOW("read(file of a detached mount)", read(fd, &c, 1));
    close(fd);
    YESNO("umount2(MNT_DETACH) shows what was under it", exists("a/under"));
    SHOW("mount(tmpfs) again", mount("again", at("a"), "tmpfs", 0, NULL));
    SHOW("chdir(into the mount)", chdir(at("a")));
    SHOW("umount2(busy: a cwd)", umount2(at("a"), 0));
    chdir("/");
    mkdir(at("a/sub"), 0755);
    SHOW("mount(tmpfs) on a subdirectory", mount("sub", at("a/sub"), "tmpfs", 0, NULL));
    SHOW("umount2(busy: a submount)", umount2(at("a"), 0));
    SHOW("umount2(the submount)", umount2(at("a/sub"), 0));
    SHOW("umount2(a)", umount2(at("a"), 0));

    /* Argument errors. */
    SHOW("mount(unknown type)", mount("x", at("a"), "nosuchfs", 0, NULL));
    SHOW("mount(no type)", mount("x", at("a"), NULL, 0, NULL));
    SHOW("mount(tmpfs, unknown option)", mount("x", at("a"), "tmpfs", 0, "bogus=1"));
    SHOW("mount(tmpfs, bad size)", mount("x", at("a"), "tmpfs", 0, "size=lots"));
    SHOW("mount(missing target)", mount("x", at("nope"), "tmpfs", 0, NULL));
    SHOW("mount(tmpfs on a file)", mount("x", at("file"), "tmpfs", 0, NULL));
    SHOW("mount(MS_NOUSER)", mount("x", at("a"), "tmpfs", MS_NOUSER, NULL));
    SHOW("mount(bad type pointer)", mount("x", at("a"), (char *)8, 0, NULL));
    SHOW("umount2(not a mount)", umount2(at("b"), 0));
    SHOW("umount2(missing)", umount2(at("nope"), 0));
    SHOW("umount2(bad flags)", umount2(at("b"), 0x100));
    SHOW("umount2(MNT_EXPIRE|MNT_DETACH)", umount2(at("b"), MNT_EXPIRE | MNT_DETACH));
    symlink(at("a"), at("link"));
    mount("x", at("a"), "tmpfs", 0, NULL);
    SHOW("umount2(UMOUNT_NOFOLLOW, a symlink to a mount)", umount2(at("link"), UMOUNT_NOFOLLOW));
    SHOW("umount2(a symlink to a mount)", umount2(at("link"), 0));

    /* Read-only and noexec mounts. */
    SHOW("mount(tmpfs, MS_RDONLY)", mount("ro", at("a"), "tmpfs", MS_RDONLY, NULL));
    SHOW("open(O_CREAT) in a read-only mount", open(at("a/f"), O_WRONLY | O_CREAT, 0644));
    SHOW("mount(MS_REMOUNT, read-write)", mount(NULL, at("a"), NULL, MS_REMOUNT, NULL));
    fd = open(at("a/f"), O_WRONLY | O_CREAT, 0644);
    YESNO("open(O_CREAT) after the remount", fd >= 0);
    close(fd);
    SHOW("mount(MS_REMOUNT|MS_RDONLY)", mount(NULL, at("a"), NULL, MS_REMOUNT | MS_RDONLY, NULL));
    SHOW("open(O_WRONLY) after MS_REMOUNT|MS_RDONLY", open(at("a/f"), O_WRONLY));
    SHOW("mount(MS_REMOUNT, not a mount)", mount(NULL, at("b"), NULL, MS_REMOUNT, NULL));
    SHOW("umount2(read-only mount)", umount2(at("a"), 0));
    SHOW("mount(tmpfs, MS_NOEXEC)", mount("nx", at("a"), "tmpfs", MS_NOEXEC, "mode=755"));
    int src = open("/bin/true", O_RDONLY), dst = open(at("a/true"), O_WRONLY | O_CREAT, 0755);
    char buf[65536];
    while ((r = read(src, buf, sizeof buf)) > 0)
        write(dst, buf, r);
    close(src);
    close(dst);
    SHOW("access(X_OK) in a noexec mount", access(at("a/true"), X_OK));
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        execl(at("a/true"), "true", (char *)NULL);
        _exit(errno == EACCES ? 13 : 1);
    }
    int status;
    waitpid(pid, &status, 0);
    printf("execve in a noexec mount: %s\n", WEXITSTATUS(status) == 13 ? "EACCES" : "ran");
    int xfd = open(at("a/true"), O_RDONLY);
    void *xm = mmap(0, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, xfd, 0);
    printf("mmap PROT_EXEC in a noexec mount: %s\n", xm == MAP_FAILED ? probe_errname(errno) : "ok");
    xm = mmap(0, 4096, PROT_READ, MAP_PRIVATE, xfd, 0);
    printf("mmap PROT_READ there: %s\n", xm == MAP_FAILED ? probe_errname(errno) : "ok");
    munmap(xm, 4096);
    close(xfd);
    umount2(at("a"), 0);

    /* Bind mounts. */
    put("b/inb", "b");
    SHOW("mount(MS_BIND)", mount(at("b"), at("c"), NULL, MS_BIND, NULL));
    YESNO("mount(MS_BIND) shows the source's files", exists("c/inb"));
    put("c/viac", "c");
    YESNO("mount(MS_BIND) writes reach the source", exists("b/viac"));
    unlink(at("b/viac"));
    YESNO("mount(MS_BIND) sees the source's unlink", !exists("c/viac"));
    SHOW("mount(MS_REMOUNT|MS_BIND|MS_RDONLY)",
         mount(NULL, at("c"), NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL));
    SHOW("open(O_CREAT) in the read-only bind", open(at("c/z"), O_WRONLY | O_CREAT, 0644));
    fd = open(at("b/z"), O_WRONLY | O_CREAT, 0644);
    YESNO("open(O_CREAT) in the bind's source", fd >= 0);
    close(fd);
    SHOW("umount2(bind)", umount2(at("c"), 0));
    SHOW("mount(MS_BIND, missing source)", mount(at("nope"), at("c"), NULL, MS_BIND, NULL));
    SHOW("mount(MS_BIND, a directory on a file)", mount(at("b"), at("file"), NULL, MS_BIND, NULL));
    SHOW("mount(MS_BIND, a file on a file)", mount(at("b/inb"), at("file"), NULL, MS_BIND, NULL));
    char text[8] = {0};
    fd = open(at("file"), O_RDONLY);
    read(fd, text, sizeof text - 1);
    close(fd);
    printf("mount(MS_BIND, a file on a file) reads: %s\n", text);
    SHOW("umount2(file bind)", umount2(at("file"), 0));
    mkdir(at("b/sub"), 0755);
    mount("inner", at("b/sub"), "tmpfs", 0, NULL);
    put("b/sub/deep", "d");
    SHOW("mount(MS_BIND) without MS_REC", mount(at("b"), at("c"), NULL, MS_BIND, NULL));
    YESNO("mount(MS_BIND) without MS_REC leaves out submounts", !exists("c/sub/deep"));
    umount2(at("c"), 0);
    SHOW("mount(MS_BIND|MS_REC)", mount(at("b"), at("c"), NULL, MS_BIND | MS_REC, NULL));
    YESNO("mount(MS_BIND|MS_REC) takes submounts", exists("c/sub/deep"));
    SHOW("umount2(MS_REC bind, its submount busy)", umount2(at("c"), 0));
    SHOW("umount2(MNT_DETACH of the MS_REC bind)", umount2(at("c"), MNT_DETACH));
    umount2(at("b/sub"), 0);

    /* Propagation types and moves. */
    mount("p", at("a"), "tmpfs", 0, NULL);
    put("a/moved", "m");
    SHOW("mount(MS_PRIVATE)", mount(NULL, at("a"), NULL, MS_PRIVATE, NULL));
    SHOW("mount(MS_SHARED|MS_REC)", mount(NULL, at("a"), NULL, MS_SHARED | MS_REC, NULL));
    SHOW("mount(MS_SLAVE)", mount(NULL, at("a"), NULL, MS_SLAVE, NULL));
    SHOW("mount(MS_PRIVATE|MS_SHARED)", mount(NULL, at("a"), NULL, MS_PRIVATE | MS_SHARED, NULL));
    SHOW("mount(MS_PRIVATE, not a mount)", mount(NULL, at("b"), NULL, MS_PRIVATE, NULL));
    SHOW("mount(MS_MOVE)", mount(at("a"), at("d"), NULL, MS_MOVE, NULL));
    YESNO("mount(MS_MOVE) shows it at the new place", exists("d/moved"));
    YESNO("mount(MS_MOVE) leaves the old place", !exists("a/moved"));
    SHOW("mount(MS_MOVE, not a mount)", mount(at("b"), at("a"), NULL, MS_MOVE, NULL));
    SHOW("umount2(moved)", umount2(at("d"), 0));

    /* proc. */
    mkdir(at("p"), 0755);
    SHOW("mount(proc)", mount("proc", at("p"), "proc", 0, NULL));
    statfs(at("p"), &sf);
    YESNO("mount(proc) statfs type is proc", sf.f_type == PROC_SUPER_MAGIC);
    char link[64] = {0};
    readlink(at("p/self"), link, sizeof link - 1);
    printf("mount(proc) self is this process: %s\n", atoi(link) == getpid() ? "yes" : "no");
    SHOW("umount2(proc)", umount2(at("p"), 0));

    /* Without CAP_SYS_ADMIN. */
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        setuid(65534);
        SHOW("mount(tmpfs) as nobody", mount("x", at("a"), "tmpfs", 0, NULL));
        SHOW("mount(missing target) as nobody", mount("x", at("nope"), "tmpfs", 0, NULL));
        SHOW("umount2(not a mount) as nobody", umount2(at("b"), 0));
        fflush(stdout);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    return 0;
}
