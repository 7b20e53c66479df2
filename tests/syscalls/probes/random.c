// getrandom(2): lengths and errno cases (never the bytes).
// covers: getrandom
// area: system
#include "probe.h"
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void) {
    unsigned char a[256], b[256];
    SHOW("getrandom(64)", getrandom(a, 64, 0));
    SHOW("getrandom(256)", getrandom(b, 256, 0));
    YESNO("two draws differ", memcmp(a, b, 64) != 0);
    SHOW("getrandom(0)", getrandom(a, 0, 0));
    SHOW("getrandom(16, GRND_NONBLOCK)", getrandom(a, 16, GRND_NONBLOCK));
    SHOW("getrandom(16, GRND_RANDOM)", getrandom(a, 16, GRND_RANDOM));
    SHOW("getrandom(16, GRND_INSECURE)", getrandom(a, 16, GRND_INSECURE));
    SHOW("getrandom(bad flags)", getrandom(a, 16, 0x100));
    SHOW("getrandom(GRND_RANDOM|GRND_INSECURE)", getrandom(a, 16, GRND_RANDOM | GRND_INSECURE));
    SHOW("getrandom(bad ptr)", syscall(SYS_getrandom, (void *)8, 16, 0));
    return 0;
}
