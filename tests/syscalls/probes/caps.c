// Capabilities: capget/capset (versions, pid, EPERM rules), the prctl capability options,
// privilege checks that follow the effective set (CAP_DAC_OVERRIDE, CAP_CHOWN,
// CAP_NET_BIND_SERVICE, CAP_SETUID, CAP_SYS_CHROOT), and the transitions of setuid (with and
// without keep-caps), setfsuid and execve, each scenario in a child of a root process.
// Masks are printed with the low 24 capabilities only (the host may lack others).
// covers: capget, capset, prctl, setresuid, setfsuid, chown, bind, chroot, execve, link
// area: processes and credentials
#include "probe.h"
#include <fcntl.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define LOW 0xffffffull
#define BIT(c) (1ull << (c))

static char *scratch, *self_exe;

struct caps { unsigned long long e, p, i; };

static struct caps get(void) {
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2] = {0};
    syscall(SYS_capget, &h, d);
    return (struct caps){d[0].effective | (unsigned long long)d[1].effective << 32,
                         d[0].permitted | (unsigned long long)d[1].permitted << 32,
                         d[0].inheritable | (unsigned long long)d[1].inheritable << 32};
}

static long set(struct caps c) {
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2] = {
        {(unsigned)c.e, (unsigned)c.p, (unsigned)c.i},
        {(unsigned)(c.e >> 32), (unsigned)(c.p >> 32), (unsigned)(c.i >> 32)}};
    return syscall(SYS_capset, &h, d);
}

static void show(const char *what) {
    struct caps c = get();
    printf("%s: eff=%06llx prm=%06llx inh=%06llx\n", what, c.e & LOW, c.p & LOW, c.i & LOW);
}

static void status(const char *what) {
    char buf[8192];
    FILE *f = fopen("/proc/self/status", "r");
    while (f && fgets(buf, sizeof buf, f))
        if (!strncmp(buf, "Cap", 3))
            printf("%s: %.6s %06llx\n", what, buf, strtoull(buf + 8, NULL, 16) & LOW);
    if (f) fclose(f);
}

static void drop_eff(int cap) {
    struct caps c = get();
    c.e &= ~BIT(cap);
    set(c);
}

static void versions(void) {
    struct __user_cap_header_struct h = {0x1234, 0};
    struct __user_cap_data_struct d[2];
    SHOW("capget bad version", syscall(SYS_capget, &h, d));
    printf("version written back: %x\n", h.version);
    h.version = 0x1234;
    SHOW("capget bad version, NULL data", syscall(SYS_capget, &h, NULL));
    h.version = _LINUX_CAPABILITY_VERSION_1;
    SHOW("capget v1", syscall(SYS_capget, &h, d));
    printf("v1 effective has CAP_DAC_OVERRIDE: %d\n", !!(d[0].effective & BIT(CAP_DAC_OVERRIDE)));
    h = (struct __user_cap_header_struct){_LINUX_CAPABILITY_VERSION_3, -1};
    SHOW("capget pid -1", syscall(SYS_capget, &h, d));
    h.pid = 999999;
    SHOW("capget no such pid", syscall(SYS_capget, &h, d));
    h.pid = getpid();
    SHOW("capget own pid", syscall(SYS_capget, &h, d));
    h.pid = getppid();
    SHOW("capset parent pid", syscall(SYS_capset, &h, d));
    SHOW("capget NULL header", syscall(SYS_capget, NULL, d));
}

static void dac(void) {
    int fd = open(scratch, O_CREAT | O_WRONLY, 0600);
    close(fd);
    SHOW("chown scratch to 1234", chown(scratch, 1234, 1234));
    drop_eff(CAP_DAC_OVERRIDE);
    SHOW("open 0600 of uid 1234 for write, no CAP_DAC_OVERRIDE", open(scratch, O_WRONLY));
    int r = open(scratch, O_RDONLY);
    printf("open for read with CAP_DAC_READ_SEARCH: %s\n", r >= 0 ? "ok" : probe_errname(errno));
    drop_eff(CAP_DAC_READ_SEARCH);
    SHOW("open for read, neither", open(scratch, O_RDONLY));
    SHOW("access W as real root (permitted counts)", access(scratch, W_OK));
    struct caps c = get();
    c.e = c.p;
    SHOW("raise effective again", set(c));
    OK("open for write again", open(scratch, O_WRONLY));
    drop_eff(CAP_CHOWN);
    SHOW("chown without CAP_CHOWN", chown(scratch, 0, 0));
    drop_eff(CAP_FOWNER);
    SHOW("chmod of another's file without CAP_FOWNER", chmod(scratch, 0644));
    c = get();
    c.e = c.p;
    set(c);
    SHOW("chown with CAP_CHOWN", chown(scratch, 0, 0));
    // protected_hardlinks: a non-owner links only to a file it may read and write
    char other[4096];
    snprintf(other, sizeof other, "%s.link", scratch);
    chown(scratch, 1234, 1234);
    chmod(scratch, 0600);
    drop_eff(CAP_FOWNER);
    SHOW("link to another's file with CAP_DAC_OVERRIDE", link(scratch, other));
    unlink(other);
    drop_eff(CAP_DAC_OVERRIDE);
    SHOW("link to another's 0600 file without CAP_FOWNER", link(scratch, other));
    c = get();
    c.e = c.p;
    set(c);
    unlink(scratch);
}

static void bind_low(void) {
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(999),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    drop_eff(CAP_NET_BIND_SERVICE);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    SHOW("bind port 999 without CAP_NET_BIND_SERVICE", bind(s, (void *)&a, sizeof a));
    a.sin_port = htons(0);
    SHOW("bind port 0 without", bind(s, (void *)&a, sizeof a));
    close(s);
    drop_eff(CAP_SYS_CHROOT);
    SHOW("chroot without CAP_SYS_CHROOT", chroot("/"));
    drop_eff(CAP_SETUID);
    SHOW("setresuid(1000) without CAP_SETUID", syscall(SYS_setresuid, 1000, 1000, 1000));
}

static void prctls(void) {
    SHOW("CAPBSET_READ CAP_CHOWN", prctl(PR_CAPBSET_READ, CAP_CHOWN));
    SHOW("CAPBSET_READ 99", prctl(PR_CAPBSET_READ, 99));
    SHOW("CAPBSET_DROP CAP_CHOWN", prctl(PR_CAPBSET_DROP, CAP_CHOWN));
    SHOW("CAPBSET_DROP 99", prctl(PR_CAPBSET_DROP, 99));
    SHOW("CAPBSET_READ CAP_CHOWN", prctl(PR_CAPBSET_READ, CAP_CHOWN));
    SHOW("AMBIENT_RAISE not inheritable", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_KILL, 0, 0));
    struct caps c = get();
    c.i = BIT(CAP_KILL) | BIT(CAP_NET_BIND_SERVICE) | BIT(CAP_CHOWN);
    SHOW("capset inheritable with CAP_CHOWN out of the bounding set", set(c));
    c.i &= ~BIT(CAP_CHOWN);
    SHOW("capset inheritable", set(c));
    SHOW("AMBIENT_RAISE CAP_KILL", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_KILL, 0, 0));
    SHOW("AMBIENT_IS_SET CAP_KILL", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_KILL, 0, 0));
    SHOW("AMBIENT_IS_SET arg4", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_KILL, 1, 0));
    SHOW("AMBIENT bad op", prctl(PR_CAP_AMBIENT, 9, CAP_KILL, 0, 0));
    status("after raise");
    c.i = BIT(CAP_NET_BIND_SERVICE);
    SHOW("capset drops CAP_KILL from inheritable", set(c));
    SHOW("AMBIENT_IS_SET CAP_KILL (gone with it)", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_KILL, 0, 0));
    SHOW("AMBIENT_RAISE CAP_NET_BIND_SERVICE", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_BIND_SERVICE, 0, 0));
    SHOW("AMBIENT_CLEAR_ALL arg3", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 1, 0, 0));
    SHOW("AMBIENT_LOWER", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_LOWER, CAP_NET_BIND_SERVICE, 0, 0));
    SHOW("AMBIENT_IS_SET after lower", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_BIND_SERVICE, 0, 0));
    SHOW("AMBIENT_RAISE again", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_BIND_SERVICE, 0, 0));
    SHOW("AMBIENT_CLEAR_ALL", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0));
    SHOW("AMBIENT_IS_SET after clear", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_BIND_SERVICE, 0, 0));
    SHOW("GET_SECUREBITS", prctl(PR_GET_SECUREBITS));
    SHOW("SET_SECUREBITS bad bit", prctl(PR_SET_SECUREBITS, 0x1000));
    SHOW("SET_SECUREBITS KEEP_CAPS|NO_CAP_AMBIENT_RAISE", prctl(PR_SET_SECUREBITS, 0x50));
    SHOW("GET_KEEPCAPS", prctl(PR_GET_KEEPCAPS));
    SHOW("AMBIENT_RAISE with NO_CAP_AMBIENT_RAISE", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_BIND_SERVICE, 0, 0));
    SHOW("SET_KEEPCAPS 2", prctl(PR_SET_KEEPCAPS, 2));
    SHOW("SET_SECUREBITS lock KEEP_CAPS", prctl(PR_SET_SECUREBITS, 0x30));
    SHOW("SET_KEEPCAPS 0 when locked", prctl(PR_SET_KEEPCAPS, 0));
    SHOW("SET_SECUREBITS unlock", prctl(PR_SET_SECUREBITS, 0));
    SHOW("GET_SECUREBITS", prctl(PR_GET_SECUREBITS));
    drop_eff(CAP_SETPCAP);
    SHOW("CAPBSET_DROP without CAP_SETPCAP", prctl(PR_CAPBSET_DROP, CAP_KILL));
    SHOW("SET_SECUREBITS without CAP_SETPCAP", prctl(PR_SET_SECUREBITS, 0x30));
    c = get();
    c.p &= ~BIT(CAP_SYS_NICE);
    c.e = c.p | BIT(CAP_SYS_NICE);
    SHOW("capset effective beyond permitted", set(c));
    c = get();
    c.p |= BIT(63);
    SHOW("capset permitted beyond permitted", set(c));
    c = get();
    c.i |= BIT(CAP_SYS_CHROOT);
    SHOW("capset inheritable from permitted without CAP_SETPCAP", set(c));
    c.p &= ~BIT(CAP_SYS_CHROOT);
    c.e &= ~BIT(CAP_SYS_CHROOT);
    SHOW("capset drops CAP_SYS_CHROOT from permitted", set(c));
    c.p |= BIT(CAP_SYS_CHROOT);
    SHOW("capset raises it back", set(c));
    show("end of prctls");
}

static void setuids(int keep) {
    if (keep) SHOW("SET_KEEPCAPS 1", prctl(PR_SET_KEEPCAPS, 1));
    SHOW("setresuid(-1, 1000, -1)", syscall(SYS_setresuid, -1, 1000, -1));
    show("euid 1000");
    SHOW("setresuid(-1, 0, -1)", syscall(SYS_setresuid, -1, 0, -1));
    show("euid 0 again");
    SHOW("setfsuid(1000) returns", syscall(SYS_setfsuid, 1000));
    show("fsuid 1000");
    SHOW("setfsuid(0) returns", syscall(SYS_setfsuid, 0));
    show("fsuid 0");
    SHOW("setresuid(1000, 1000, 1000)", syscall(SYS_setresuid, 1000, 1000, 1000));
    show("all 1000");
    SHOW("GET_KEEPCAPS", prctl(PR_GET_KEEPCAPS));
    struct caps c = get();
    c.e = c.p;
    SHOW("raise effective from permitted", set(c));
    show("after raise");
    status("status");
    SHOW("setresuid(0, 0, 0) as 1000", syscall(SYS_setresuid, 0, 0, 0));
}

static void exec_with(int as_user) {
    struct caps c = get();
    c.i = BIT(CAP_NET_BIND_SERVICE) | BIT(CAP_KILL);
    set(c);
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_BIND_SERVICE, 0, 0);
    prctl(PR_CAPBSET_DROP, CAP_SYS_CHROOT);
    if (as_user) {
        prctl(PR_SET_KEEPCAPS, 1);
        syscall(SYS_setresuid, 1000, 1000, 1000);
        // setuid cleared the ambient set: raise it again (permitted and inheritable kept)
        prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_BIND_SERVICE, 0, 0);
    }
    fflush(stdout);
    execl(self_exe, self_exe, "--status", as_user ? "exec as 1000" : "exec as root", NULL);
    printf("execl: %s\n", probe_errname(errno));
}

static void in_child(const char *name, void (*fn)(int), int arg) {
    printf("-- %s\n", name);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        fn(arg);
        fflush(stdout);
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    printf("exit: %d\n", WEXITSTATUS(st));
}

static void v(int x) { (void)x; versions(); }
static void d(int x) { (void)x; dac(); }
static void b(int x) { (void)x; bind_low(); }
static void p(int x) { (void)x; prctls(); }

int main(int argc, char **argv) {
    if (argc > 2 && !strcmp(argv[1], "--status")) {
        status(argv[2]);
        SHOW("GET_KEEPCAPS after exec", prctl(PR_GET_KEEPCAPS));
        return 0;
    }
    scratch = argc > 1 ? argv[1] : "caps.scratch";
    self_exe = realpath("/proc/self/exe", NULL);
    show("start");
    in_child("versions", v, 0);
    in_child("dac", d, 0);
    in_child("bind, chroot, setuid", b, 0);
    in_child("prctl", p, 0);
    in_child("setuid without keepcaps", setuids, 0);
    in_child("setuid with keepcaps", setuids, 1);
    in_child("exec as root", exec_with, 0);
    in_child("exec as 1000", exec_with, 1);
    return 0;
}
