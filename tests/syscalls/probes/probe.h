/* Shared helpers for the differential probes: every line a probe prints must be the same
 * natively and in the sandbox, so print results and errno names, never addresses, pids,
 * times or inode numbers. */
#ifndef PROBE_H
#define PROBE_H
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline const char *probe_errname(int e) {
    const char *n = strerrorname_np(e);
    return n ? n : "E?";
}

/* Prints "what: R" or "what: -1 ENAME"; returns r. */
static inline long probe_show(const char *what, long r) {
    if (r < 0)
        printf("%s: -1 %s\n", what, probe_errname(errno));
    else
        printf("%s: %ld\n", what, r);
    return r;
}

/* Like probe_show, for calls whose success value varies (addresses, sizes of host files). */
static inline long probe_ok(const char *what, long r) {
    if (r < 0)
        printf("%s: -1 %s\n", what, probe_errname(errno));
    else
        printf("%s: ok\n", what);
    return r;
}

/* Prints "what: N \"bytes\"" with C escapes so control characters show, or the errno. */
static inline void show_bytes(const char *what, const char *buf, long n) {
    printf("%s: ", what);
    if (n < 0) {
        printf("-1 %s\n", probe_errname(errno));
        return;
    }
    printf("%ld \"", n);
    for (long i = 0; i < n; i++) {
        unsigned char c = buf[i];
        if (c == '\n') printf("\\n");
        else if (c == '\r') printf("\\r");
        else if (c == '\t') printf("\\t");
        else if (c == '\b') printf("\\b");
        else if (c < 32 || c >= 127) printf("\\x%02x", c);
        else putchar(c);
    }
    printf("\"\n");
}

#define SHOW(what, expr) (errno = 0, probe_show((what), (long)(expr)))
#define OK(what, expr) (errno = 0, probe_ok((what), (long)(expr)))
#define YESNO(what, cond) printf("%s: %s\n", (what), (cond) ? "yes" : "no")

#endif
