// membarrier: the commands the host supports, registration, and errno cases.
// covers: membarrier
// area: memory
#include "probe.h"
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static long mb(int cmd, unsigned flags) { return syscall(SYS_membarrier, cmd, flags, 0); }

int main(void) {
    long q = mb(MEMBARRIER_CMD_QUERY, 0);
    YESNO("membarrier(QUERY) lists PRIVATE_EXPEDITED", q > 0 && (q & MEMBARRIER_CMD_PRIVATE_EXPEDITED));
    SHOW("membarrier(QUERY, flags 1)", mb(MEMBARRIER_CMD_QUERY, 1));
    SHOW("membarrier(PRIVATE_EXPEDITED) unregistered", mb(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0));
    SHOW("membarrier(REGISTER_PRIVATE_EXPEDITED)", mb(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0));
    SHOW("membarrier(PRIVATE_EXPEDITED)", mb(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0));
    SHOW("membarrier(GLOBAL)", mb(MEMBARRIER_CMD_GLOBAL, 0));
    SHOW("membarrier(bad command)", mb(3, 0));
    SHOW("membarrier(GET_REGISTRATIONS)", mb(1 << 9, 0));
    return 0;
}
