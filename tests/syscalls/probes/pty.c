// Pseudo-terminals: /dev/ptmx + devpts (posix_openpt, grantpt, unlockpt, ptsname, TIOCGPTN,
// TIOCSPTLCK, TIOCGPTPEER), termios (TCGETS/TCSETS*, defaults), window size, the line
// discipline (canonical editing, echo, ICRNL/ONLCR, VEOF, raw mode, VMIN=0), ISIG sending
// SIGINT to the foreground process group, background groups (SIGTTIN, SIGTTOU with TOSTOP),
// hang-ups (EIO) and readiness.
// covers: ioctl, openat, read, write, poll, setsid
// area: terminals
// usage: pty SCRATCH   (unused)
#include "probe.h"
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

/* Reads what `fd` has within 2 s (blocking fd), stopping when `want` bytes came. */
static long read_some(int fd, char *buf, long want) {
    long got = 0;
    while (got < want) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 2000) <= 0)
            break;
        long r = read(fd, buf + got, want - got);
        if (r <= 0)
            return got ? got : r;
        got += r;
    }
    return got;
}

static int open_pair(int *master, int *slave) {
    *master = posix_openpt(O_RDWR | O_NOCTTY);
    if (*master < 0 || grantpt(*master) || unlockpt(*master))
        return -1;
    *slave = open(ptsname(*master), O_RDWR | O_NOCTTY);
    return *slave;
}

static void basics(void) {
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    OK("posix_openpt", m);
    SHOW("grantpt", grantpt(m));
    char *name = ptsname(m);
    YESNO("ptsname under /dev/pts/", name && strncmp(name, "/dev/pts/", 9) == 0);
    unsigned n = 99;
    SHOW("TIOCGPTN", ioctl(m, TIOCGPTN, &n));
    char want[64];
    snprintf(want, sizeof want, "/dev/pts/%u", n);
    YESNO("ptsname is /dev/pts/<TIOCGPTN>", strcmp(name, want) == 0);
    SHOW("open locked replica", open(name, O_RDWR | O_NOCTTY));
    SHOW("unlockpt", unlockpt(m));
    int s = open(name, O_RDWR | O_NOCTTY);
    OK("open replica", s);
    struct stat st, fst, mst;
    SHOW("stat replica", stat(name, &st));
    SHOW("fstat replica", fstat(s, &fst));
    YESNO("replica S_ISCHR", S_ISCHR(st.st_mode));
    printf("replica major=%u minor==N %s\n", major(st.st_rdev), minor(st.st_rdev) == n ? "yes" : "no");
    YESNO("fstat == stat (dev, ino, rdev)", st.st_dev == fst.st_dev && st.st_ino == fst.st_ino
          && st.st_rdev == fst.st_rdev);
    SHOW("fstat master", fstat(m, &mst));
    printf("master major=%u minor=%u\n", major(mst.st_rdev), minor(mst.st_rdev));
    YESNO("isatty master", isatty(m));
    YESNO("isatty replica", isatty(s));
    char *tn = ttyname(s);
    YESNO("ttyname replica == ptsname", tn && strcmp(tn, name) == 0);
    int lock = 1;
    SHOW("TIOCSPTLCK 1", ioctl(m, TIOCSPTLCK, &lock));
    SHOW("open relocked replica", open(name, O_RDWR | O_NOCTTY));
    SHOW("TIOCGPTN on replica", ioctl(s, TIOCGPTN, &n));
    lock = 0;
    SHOW("TIOCSPTLCK 0", ioctl(m, TIOCSPTLCK, &lock));
    int peer = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY);
    OK("TIOCGPTPEER", peer);
    YESNO("peer isatty", isatty(peer));
    SHOW("TIOCGPTPEER on replica", ioctl(s, TIOCGPTPEER, O_RDWR));
    SHOW("grantpt on a file", grantpt(0) == 0 ? 0 : -1);
    close(peer);
    close(s);
    close(m);
}

static void termios_defaults(void) {
    int m, s;
    open_pair(&m, &s);
    struct termios t, tm;
    SHOW("tcgetattr replica", tcgetattr(s, &t));
    SHOW("tcgetattr master", tcgetattr(m, &tm));
    printf("iflag=%#o oflag=%#o cflag=%#o lflag=%#o\n", t.c_iflag, t.c_oflag, t.c_cflag & ~CBAUD,
           t.c_lflag);
    printf("cc:");
    for (int i = 0; i < 17; i++)
        printf(" %d", t.c_cc[i]);
    printf("\n");
    YESNO("master sees the replica's termios", memcmp(&t, &tm, sizeof t) == 0);
    t.c_lflag &= ~ECHO;
    SHOW("tcsetattr master TCSANOW", tcsetattr(m, TCSANOW, &t));
    tcgetattr(s, &tm);
    YESNO("replica sees ECHO off", !(tm.c_lflag & ECHO));
    struct winsize ws = {0};
    SHOW("TIOCGWINSZ", ioctl(s, TIOCGWINSZ, &ws));
    printf("winsize %d %d\n", ws.ws_row, ws.ws_col);
    ws.ws_row = 24, ws.ws_col = 80;
    SHOW("TIOCSWINSZ master", ioctl(m, TIOCSWINSZ, &ws));
    memset(&ws, 0, sizeof ws);
    ioctl(s, TIOCGWINSZ, &ws);
    printf("winsize %d %d\n", ws.ws_row, ws.ws_col);
    SHOW("TCSETS bad pointer", ioctl(s, TCSETS, (void *)8));
    SHOW("unknown ioctl", ioctl(s, 0x54ff, 0));
    SHOW("tcdrain", tcdrain(s));
    SHOW("tcflush bad", tcflush(s, 7));
    close(s);
    close(m);
}

static void canonical(void) {
    int m, s;
    open_pair(&m, &s);
    char buf[256];
    long r;
    SHOW("write master", write(m, "ab\177c\n", 5));
    show_bytes("replica reads line", buf, read(s, buf, sizeof buf));
    show_bytes("master reads echo", buf, read_some(m, buf, 9));
    SHOW("write master two lines", write(m, "one\ntwo\n", 8));
    show_bytes("replica read 1", buf, read(s, buf, sizeof buf));
    show_bytes("replica read 2", buf, read(s, buf, 2));
    show_bytes("replica read 3", buf, read(s, buf, sizeof buf));
    read_some(m, buf, 10);
    write(m, "half", 4);
    read_some(m, buf, 4);  /* the echo: the line is now in the ldisc */
    int avail = -1;
    SHOW("FIONREAD partial line", ioctl(s, FIONREAD, &avail));
    printf("avail %d\n", avail);
    fcntl(s, F_SETFL, O_NONBLOCK);
    show_bytes("nonblocking read partial line", buf, read(s, buf, sizeof buf));
    fcntl(s, F_SETFL, 0);
    write(m, "\025x\027y z\027w\r", 9);  /* VKILL, VWERASE, CR -> NL */
    show_bytes("kill/werase/icrnl", buf, read(s, buf, sizeof buf));
    show_bytes("their echo", buf, read_some(m, buf, 64));
    write(m, "\004", 1);
    show_bytes("VEOF at line start", buf, read(s, buf, sizeof buf));
    write(m, "ab\004", 3);
    show_bytes("VEOF after text", buf, read(s, buf, sizeof buf));
    read_some(m, buf, 2);
    write(m, "\t\001\n", 3);
    read(s, buf, sizeof buf);
    show_bytes("echo ctl", buf, read_some(m, buf, 5));
    r = write(s, "x\ny\n", 4);
    SHOW("replica write", r);
    show_bytes("master reads onlcr", buf, read_some(m, buf, 6));
    struct pollfd p = {m, POLLIN | POLLOUT, 0};
    SHOW("poll master idle", poll(&p, 1, 0));
    printf("revents %#x\n", p.revents);
    close(s);
    close(m);
}

static void raw(void) {
    int m, s;
    open_pair(&m, &s);
    char buf[256];
    struct termios t;
    tcgetattr(s, &t);
    cfmakeraw(&t);
    SHOW("tcsetattr raw", tcsetattr(s, TCSAFLUSH, &t));
    write(m, "a\rb\003\n", 5);
    show_bytes("raw replica read", buf, read_some(s, buf, 5));
    struct pollfd p = {m, POLLIN, 0};
    SHOW("no echo in raw", poll(&p, 1, 100));
    write(s, "q\n", 2);
    show_bytes("raw master read", buf, read_some(m, buf, 2));
    t.c_cc[VMIN] = 0, t.c_cc[VTIME] = 0;
    tcsetattr(s, TCSANOW, &t);
    show_bytes("VMIN=0 empty read", buf, read(s, buf, sizeof buf));
    fcntl(m, F_SETFL, O_NONBLOCK);
    show_bytes("master nonblocking empty", buf, read(m, buf, sizeof buf));
    close(s);
    p.events = POLLIN;
    SHOW("poll master after replica close", poll(&p, 1, 2000));
    printf("revents has POLLHUP %s\n", p.revents & POLLHUP ? "yes" : "no");
    show_bytes("master read after replica close", buf, read(m, buf, sizeof buf));
    close(m);

    open_pair(&m, &s);
    write(s, "left\n", 5);
    close(s);
    show_bytes("master reads buffered after close", buf, read_some(m, buf, 6));
    show_bytes("then", buf, read(m, buf, sizeof buf));
    close(m);

    open_pair(&m, &s);
    close(m);
    show_bytes("replica read after master close", buf, read(s, buf, sizeof buf));
    SHOW("replica write after master close", write(s, "x", 1));
    close(s);
}

static volatile sig_atomic_t got_int;
static void on_int(int sig) { (void)sig; got_int = 1; }

static void isig(void) {
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    grantpt(m);
    unlockpt(m);
    char name[64];
    snprintf(name, sizeof name, "%s", ptsname(m));
    int ready[2], done[2];
    pipe(ready);
    pipe(done);
    pid_t pid = fork();
    if (pid == 0) {
        close(m);
        struct sigaction sa = {0};
        sa.sa_handler = on_int;
        sigaction(SIGINT, &sa, NULL);
        sigset_t block, old;
        sigemptyset(&block);
        sigaddset(&block, SIGINT);
        sigprocmask(SIG_BLOCK, &block, &old);
        setsid();
        int s = open(name, O_RDWR);  /* a session leader's first tty becomes its ctty */
        int fg = tcgetpgrp(s);
        char c = fg == getpid() ? 'y' : 'n';
        write(ready[1], &c, 1);
        while (!got_int)
            sigsuspend(&old);  /* SIGINT blocked until here: no wake-up is lost */
        c = 'y';
        write(done[1], &c, 1);
        _exit(0);
    }
    char c = 0, buf[64];
    read(ready[0], &c, 1);
    printf("child's tty has it in the foreground: %c\n", c);
    pid_t fg = 0;
    SHOW("TIOCGPGRP master", ioctl(m, TIOCGPGRP, &fg));
    YESNO("foreground group is the child", fg == pid);
    write(m, "\003", 1);
    read(done[0], &c, 1);
    printf("child got SIGINT: %c\n", c);
    show_bytes("echo of ^C", buf, read_some(m, buf, 2));
    waitpid(pid, NULL, 0);
    close(m);
}

/* A background process group of the terminal's session: read gives SIGTTIN (EIO when it
 * ignores SIGTTIN), write with TOSTOP gives SIGTTOU. */
static void background(void) {
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    grantpt(m);
    unlockpt(m);
    char name[64], res[4] = "???";
    snprintf(name, sizeof name, "%s", ptsname(m));
    int pr[2];
    pipe(pr);
    pid_t leader = fork();
    if (leader == 0) {
        close(m);
        setsid();
        int s = open(name, O_RDWR);
        int st = 0;
        char b;
        pid_t c = fork();
        if (c == 0) {
            setpgid(0, 0);
            read(s, &b, 1);
            _exit(0);
        }
        waitpid(c, &st, WUNTRACED);
        res[0] = WIFSTOPPED(st) && WSTOPSIG(st) == SIGTTIN ? 'y' : 'n';
        kill(c, SIGKILL);
        waitpid(c, &st, 0);
        c = fork();
        if (c == 0) {
            setpgid(0, 0);
            signal(SIGTTIN, SIG_IGN);
            long r = read(s, &b, 1);
            _exit(r < 0 && errno == EIO ? 0 : 1);
        }
        waitpid(c, &st, 0);
        res[1] = WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 'y' : 'n';
        struct termios tio;
        tcgetattr(s, &tio);
        tio.c_lflag |= TOSTOP;
        tcsetattr(s, TCSANOW, &tio);
        c = fork();
        if (c == 0) {
            setpgid(0, 0);
            write(s, "x", 1);
            _exit(0);
        }
        waitpid(c, &st, WUNTRACED);
        res[2] = WIFSTOPPED(st) && WSTOPSIG(st) == SIGTTOU ? 'y' : 'n';
        kill(c, SIGKILL);
        waitpid(c, &st, 0);
        write(pr[1], res, 3);
        _exit(0);
    }
    read(pr[0], res, 3);
    printf("background read stops with SIGTTIN: %c\n", res[0]);
    printf("background read ignoring SIGTTIN: EIO: %c\n", res[1]);
    printf("background write with TOSTOP stops with SIGTTOU: %c\n", res[2]);
    waitpid(leader, NULL, 0);
    close(m);
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    basics();
    termios_defaults();
    canonical();
    raw();
    isig();
    background();
    return 0;
}
