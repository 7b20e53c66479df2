/* Network benchmarks; prints one figure: ns per iteration.
 *   net tcp_rr N       N one-byte request/response round trips over loopback TCP
 *   net tcp_bulk N     N MiB in 64 KiB writes over loopback TCP, read by a child
 *                      (prints ns per MiB)
 *   net unix_pp N      N one-byte ping-pongs over a unix socketpair
 * The server side is a forked child; timing covers the loop only. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHUNK 65536

static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void die(const char *what) {
    perror(what);
    exit(1);
}

/* A connected loopback TCP pair: *server is the accepted end. */
static int tcp_pair(int *server) {
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {AF_INET, 0, {htonl(INADDR_LOOPBACK)}};
    socklen_t len = sizeof a;
    if (bind(l, (struct sockaddr *)&a, sizeof a) || listen(l, 1) ||
        getsockname(l, (struct sockaddr *)&a, &len))
        die("listen");
    int c = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(c, (struct sockaddr *)&a, sizeof a))
        die("connect");
    *server = accept(l, NULL, NULL);
    if (*server < 0)
        die("accept");
    close(l);
    int one = 1;
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(*server, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return c;
}

static long ping_pong(int mine, int theirs, long n) {
    char b = 'x';
    pid_t pid = fork();
    if (pid == 0) {
        close(mine);
        for (long i = 0; i < n; i++)
            if (read(theirs, &b, 1) != 1 || write(theirs, &b, 1) != 1)
                _exit(1);
        _exit(0);
    }
    close(theirs);
    long long t0 = now_ns();
    for (long i = 0; i < n; i++)
        if (write(mine, &b, 1) != 1 || read(mine, &b, 1) != 1)
            die("ping");
    long long t1 = now_ns();
    waitpid(pid, NULL, 0);
    return (long)((t1 - t0) / n);
}

static long bulk(int mine, int theirs, long n) {
    static char buf[CHUNK];
    pid_t pid = fork();
    if (pid == 0) {
        close(mine);
        long long want = (long long)n * CHUNK, got = 0;
        while (got < want) {
            ssize_t r = read(theirs, buf, sizeof buf);
            if (r <= 0)
                _exit(1);
            got += r;
        }
        write(theirs, "k", 1);
        _exit(0);
    }
    close(theirs);
    long long t0 = now_ns();
    for (long i = 0; i < n; i++) {
        size_t off = 0;
        while (off < CHUNK) {
            ssize_t w = write(mine, buf + off, CHUNK - off);
            if (w <= 0)
                die("write");
            off += w;
        }
    }
    char k;
    if (read(mine, &k, 1) != 1)
        die("ack");
    long long t1 = now_ns();
    waitpid(pid, NULL, 0);
    return (long)((t1 - t0) / n);
}

int main(int argc, char **argv) {
    if (argc < 3)
        return 2;
    long n = atol(argv[2]);
    int a, b, sv[2];
    long r;
    if (!strcmp(argv[1], "tcp_rr")) {
        a = tcp_pair(&b);
        r = ping_pong(a, b, n);
    } else if (!strcmp(argv[1], "tcp_bulk")) {
        a = tcp_pair(&b);
        r = bulk(a, b, n * 16) * 16;
    } else if (!strcmp(argv[1], "unix_pp")) {
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
            die("socketpair");
        r = ping_pong(sv[0], sv[1], n);
    } else {
        return 2;
    }
    printf("%ld\n", r);
    return 0;
}
