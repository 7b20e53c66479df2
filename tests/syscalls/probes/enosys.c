// build: -static
// Numbers no x86-64 kernel assigns return ENOSYS through syscall(2).
// covers: getuid
// area: system
// Not probed: 335 (uretprobe, SIGILL outside a trampoline) and 336 (uprobe, ENXIO) exist on
// newer host kernels, and 468/469 (file_getattr/file_setattr) on 6.17+.
#include "probe.h"
#include <unistd.h>

int main(void) {
    static const long nrs[] = {400, 423, 500, 511, 512, 547, 1000, 0x3fffffff, -1};
    char what[64];
    for (unsigned i = 0; i < sizeof nrs / sizeof *nrs; i++) {
        snprintf(what, sizeof what, "syscall(%ld)", nrs[i]);
        SHOW(what, syscall(nrs[i], 1, 2, 3, 4, 5, 6));
    }
    /* The program goes on normally after an unknown call. */
    SHOW("getuid after", getuid());
    return 0;
}
