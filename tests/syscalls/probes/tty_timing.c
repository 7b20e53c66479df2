// The N_TTY line discipline's non-canonical read rules (VMIN/VTIME: a minimum count, an
// overall timeout with VMIN=0, an inter-byte timer with VMIN>0) and poll readiness under
// them; output tab expansion (TABDLY=XTABS) and the column it tracks (tabs, backspace,
// control characters, ONOCR).
// covers: ioctl, read, write, poll
// area: terminals
// usage: tty_timing SCRATCH   (unused)
#include "probe.h"
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static int master, replica;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void set_mode(int vmin, int vtime, tcflag_t oflag_set, tcflag_t oflag_clear) {
    struct termios t;
    tcgetattr(replica, &t);
    t.c_lflag &= ~(ICANON | ECHO | ISIG);
    t.c_cc[VMIN] = vmin;
    t.c_cc[VTIME] = vtime;
    t.c_oflag = (t.c_oflag & ~oflag_clear) | oflag_set;
    tcsetattr(replica, TCSANOW, &t);
}

static int replica_readable(void) {
    struct pollfd p = {.fd = replica, .events = POLLIN};
    return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

/* A timed read of the replica: prints what it got and whether it took at least `at_least`
 * seconds (and less than `below`). */
static void timed_read(const char *what, size_t n, double at_least, double below) {
    char buf[64];
    double t0 = now();
    long r = read(replica, buf, n);
    double dt = now() - t0;
    show_bytes(what, buf, r);
    printf("%s: waited >= %.1fs: %s, < %.1fs: %s\n", what, at_least,
           dt >= at_least ? "yes" : "no", below, dt < below ? "yes" : "no");
}

static void drain_master(const char *what) {
    char buf[256];
    usleep(20000);
    long n = read(master, buf, sizeof buf);
    show_bytes(what, buf, n);
}

int main(void) {
    master = posix_openpt(O_RDWR | O_NOCTTY);
    if (master < 0 || grantpt(master) || unlockpt(master)) return 1;
    replica = open(ptsname(master), O_RDWR | O_NOCTTY);
    if (replica < 0) return 1;

    printf("== VMIN=3 VTIME=0\n");
    set_mode(3, 0, 0, 0);
    write(master, "a", 1);
    usleep(20000);
    YESNO("1 byte: readable", replica_readable());
    write(master, "bc", 2);
    usleep(20000);
    YESNO("3 bytes: readable", replica_readable());
    timed_read("read 10 with 3", 10, 0, 1);
    write(master, "xy", 2);
    usleep(20000);
    timed_read("read 2 with VMIN 3 and 2 there", 2, 0, 1);

    printf("== VMIN=0 VTIME=0\n");
    set_mode(0, 0, 0, 0);
    YESNO("empty: readable", replica_readable());
    timed_read("read empty", 10, 0, 1);

    /* VTIME is in tenths of a second: 1 s, so that a loaded machine cannot blur it. */
    printf("== VMIN=0 VTIME=10\n");
    set_mode(0, 10, 0, 0);
    YESNO("empty: readable", replica_readable());
    timed_read("read times out", 10, 0.9, 10);
    write(master, "q", 1);
    usleep(20000);
    timed_read("read with 1 there", 10, 0, 0.9);

    printf("== VMIN=4 VTIME=10\n");
    set_mode(4, 10, 0, 0);
    write(master, "12", 2);
    usleep(20000);
    YESNO("2 bytes: readable", replica_readable());
    timed_read("inter-byte timer ends it", 10, 0.9, 10);
    write(master, "abcdef", 6);
    usleep(20000);
    timed_read("enough at once", 10, 0, 0.9);

    printf("== output\n");
    set_mode(1, 0, OPOST | ONLCR | TAB3, 0);
    write(replica, "a\tbc\td\n", 7);
    drain_master("XTABS");
    write(replica, "\tx\bq\ty\n", 7);
    drain_master("XTABS after backspace");
    write(replica, "ab\x01\tz\n", 6);
    drain_master("XTABS control char has no width");
    set_mode(1, 0, OPOST | ONLCR | ONOCR, TABDLY);
    write(replica, "\tz\r\rw\n\r", 7);
    drain_master("ONOCR after a tab");
    set_mode(1, 0, OPOST, TABDLY | ONLCR | ONOCR);
    write(replica, "x\t\ty\n", 5);
    drain_master("tabs kept without XTABS");
    return 0;
}
