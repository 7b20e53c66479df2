// build: -static
// Found by the fuzzer: sendfile of 2 GiB from /dev/zero ran in the Sentry's loop in one
// go, and every other task of the sandbox stood still for minutes. One call now moves at
// most 64 MiB (a short count, which sendfile allows); a loop still moves everything.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/sendfile.h>
#include <unistd.h>

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    int in = open("/dev/zero", O_RDONLY), out = open("/dev/null", O_WRONLY);
    ssize_t n = sendfile(out, in, NULL, 0x7ffff000);
    printf("one sendfile of 2 GiB: %s\n", n > 0 && n <= (64 << 20) ? "short" : "other");
    long total = 0;
    while (total < (200L << 20) && (n = sendfile(out, in, NULL, (200L << 20) - total)) > 0)
        total += n;
    printf("a loop of them: %ld MiB\n", total >> 20);
    return 0;
}
