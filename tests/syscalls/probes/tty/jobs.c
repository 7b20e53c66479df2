// Terminal job control on stdin, a terminal that is the caller's controlling one (run by
// test_tty_jobs.py): tcgetpgrp/tcsetpgrp/tcgetsid/TIOCSCTTY/TIOCNOTTY and the SIGTTIN /
// SIGTTOU rules for a background process group.
#include "probe.h"
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static void stopped_by(const char *what, pid_t c) {
    int st;
    pid_t w = waitpid(c, &st, WUNTRACED);
    printf("%s: %s\n", what, w == c && WIFSTOPPED(st) ? strsignal(WSTOPSIG(st))
                             : w == c && WIFEXITED(st) ? "exited" : "?");
    kill(c, SIGKILL);
    waitpid(c, &st, 0);
}

static void exited(const char *what, pid_t c) {
    int st;
    pid_t w = waitpid(c, &st, WUNTRACED);
    printf("%s: %s %d\n", what, w == c && WIFEXITED(st) ? "exited" : "?", WEXITSTATUS(st));
}

static pid_t background(void) {
    pid_t c = fork();
    if (c == 0) {
        setpgid(0, 0);
        return 0;
    }
    setpgid(c, c);
    return c;
}

int main(void) {
    char b;
    setvbuf(stdout, NULL, _IONBF, 0);  // children print too: no buffer to duplicate at fork
    YESNO("tcgetsid == getsid", tcgetsid(0) == getsid(0));
    YESNO("tcgetpgrp == getpgrp", tcgetpgrp(0) == getpgrp());
    SHOW("TIOCSCTTY (has it)", ioctl(0, TIOCSCTTY, 0));
    SHOW("tcsetpgrp(-1)", tcsetpgrp(0, -1));
    SHOW("tcsetpgrp(no such group)", tcsetpgrp(0, 0x3ffffff0));
    SHOW("tcsetpgrp(own)", tcsetpgrp(0, getpgrp()));
    fflush(stdout);

    pid_t c = fork();
    if (c == 0) {  // a new session has no controlling terminal
        setsid();
        SHOW("new session: tcgetpgrp", tcgetpgrp(0));
        SHOW("new session: tcgetsid", tcgetsid(0));
        SHOW("new session: TIOCNOTTY", ioctl(0, TIOCNOTTY));
        SHOW("new session: TIOCSCTTY (taken)", ioctl(0, TIOCSCTTY, 0));
        fflush(stdout);
        _exit(0);
    }
    exited("new session", c);

    if ((c = background()) == 0) {
        signal(SIGTTIN, SIG_IGN);
        SHOW("background read, SIGTTIN ignored", read(0, &b, 1));
        YESNO("background: tcgetpgrp != getpgrp", tcgetpgrp(0) != getpgrp());
        fflush(stdout);
        _exit(0);
    }
    exited("background reader", c);
    if ((c = background()) == 0) {
        read(0, &b, 1);
        fflush(stdout);
        _exit(1);
    }
    stopped_by("background read", c);
    if ((c = background()) == 0) {
        tcsetpgrp(0, getpgrp());
        fflush(stdout);
        _exit(1);
    }
    stopped_by("background tcsetpgrp", c);
    pid_t me = getpgrp();
    if ((c = background()) == 0) {
        signal(SIGTTOU, SIG_IGN);
        SHOW("tcsetpgrp SIGTTOU ignored", tcsetpgrp(0, getpgrp()));
        YESNO("now foreground", tcgetpgrp(0) == getpgrp());
        SHOW("give it back", tcsetpgrp(0, me));
        fflush(stdout);
        _exit(0);
    }
    exited("foreground taker", c);
    YESNO("parent foreground again", tcgetpgrp(0) == getpgrp());

    struct termios tio;
    tcgetattr(0, &tio);
    tio.c_lflag |= TOSTOP;
    SHOW("set TOSTOP", tcsetattr(0, TCSANOW, &tio));
    fflush(stdout);
    if ((c = background()) == 0) {
        write(0, "x", 1);
        fflush(stdout);
        _exit(1);
    }
    stopped_by("background write with TOSTOP", c);
    if ((c = background()) == 0) {
        signal(SIGTTOU, SIG_IGN);
        SHOW("background write, SIGTTOU ignored", write(0, "y", 1));
        fflush(stdout);
        _exit(0);
    }
    exited("ignoring writer", c);
    tio.c_lflag &= ~TOSTOP;
    SHOW("clear TOSTOP", tcsetattr(0, TCSANOW, &tio));
    return 0;
}
