// uname(2): the fields that are the same in the sandbox as on the host.
// covers: uname
// area: system
#include "probe.h"
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

int main(void) {
    struct utsname u;
    SHOW("uname", uname(&u));
    printf("sysname: %s\n", u.sysname);
    printf("machine: %s\n", u.machine);
    YESNO("release non-empty", u.release[0] != 0);
    YESNO("nodename NUL-terminated", memchr(u.nodename, 0, sizeof u.nodename) != NULL);
    SHOW("uname(bad ptr)", syscall(SYS_uname, (void *)8));
    SHOW("uname(NULL)", syscall(SYS_uname, NULL));
    return 0;
}
