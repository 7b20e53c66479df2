// process_vm_readv and process_vm_writev between a parent and its child: scatter and
// gather across iovecs, partial copies at a fault, permissions and errno cases.
// covers: process_vm_readv, process_vm_writev
// area: memory
#include "probe.h"
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

static char text[64] = "hello from the child";
static char *guard;

int main(void) {
    long page = sysconf(_SC_PAGESIZE);
    guard = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memcpy(guard + page - 4, "tail", 4);
    munmap(guard + page, page); /* a page that faults after "tail" */
    int go[2];
    pipe(go);
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        char c;
        read(go[0], &c, 1);
        printf("child sees: %s\n", text);
        fflush(stdout);
        _exit(0);
    }
    char a[6] = {0}, b[32] = {0};
    struct iovec local[2] = {{a, 5}, {b, 15}}, remote = {text, 20};
    SHOW("process_vm_readv(scatter)", process_vm_readv(child, local, 2, &remote, 1, 0));
    printf("read: \"%s\" \"%s\"\n", a, b);
    char out[8] = {0};
    struct iovec lo = {out, 8}, ro = {guard + page - 4, 8};
    SHOW("process_vm_readv(across a fault)", process_vm_readv(child, &lo, 1, &ro, 1, 0));
    printf("read: \"%s\"\n", out);
    struct iovec bad = {(void *)8, 8};
    SHOW("process_vm_readv(bad remote)", process_vm_readv(child, &lo, 1, &bad, 1, 0));
    SHOW("process_vm_readv(bad local)", process_vm_readv(child, &bad, 1, &ro, 1, 0));
    SHOW("process_vm_readv(flags 1)", process_vm_readv(child, &lo, 1, &ro, 1, 1));
    SHOW("process_vm_readv(no such pid)", process_vm_readv(99999, &lo, 1, &ro, 1, 0));
    SHOW("process_vm_readv(nothing to read)", process_vm_readv(child, &lo, 0, &ro, 1, 0));
    SHOW("process_vm_readv(1025 iovecs)", process_vm_readv(child, &lo, 1025, &ro, 1, 0));
    char msg[] = "written by the parent";
    struct iovec wl[2] = {{msg, 7}, {msg + 7, sizeof msg - 7}}, wr = {text, sizeof msg};
    SHOW("process_vm_writev(gather)", process_vm_writev(child, wl, 2, &wr, 1, 0));
    struct iovec rodata = {(void *)"literal", 8};
    SHOW("process_vm_writev(read-only remote)", process_vm_writev(child, wl, 1, &rodata, 1, 0));
    fflush(stdout);
    pid_t nobody = fork();
    if (nobody == 0) {
        setuid(65534);
        SHOW("process_vm_readv as nobody", process_vm_readv(child, &lo, 1, &remote, 1, 0));
        fflush(stdout);
        _exit(0);
    }
    waitpid(nobody, NULL, 0);
    write(go[1], "x", 1);
    waitpid(child, NULL, 0);
    return 0;
}
