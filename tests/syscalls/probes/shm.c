// SysV shared memory: shmget keys and flags, shmat/shmdt (shared memory between
// attachments and across fork), shmctl (IPC_STAT, IPC_SET, IPC_RMID, IPC_INFO, SHM_INFO,
// SHM_STAT, SHM_LOCK), permissions, and errno cases. Natively the probe first enters an
// IPC namespace of its own (as root), so ids start afresh as in the sandbox.
// covers: shmget, shmat, shmdt, shmctl
// area: memory
#include "probe.h"
#include <sched.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

static void stat_of(const char *what, int id) {
    struct shmid_ds ds;
    if (shmctl(id, IPC_STAT, &ds) < 0) {
        printf("%s: IPC_STAT -1 %s\n", what, probe_errname(errno));
        return;
    }
    printf("%s: size %zu mode %o nattch %lu key %d cpid-is-me %d\n", what, ds.shm_segsz,
           ds.shm_perm.mode, (unsigned long)ds.shm_nattch, ds.shm_perm.__key,
           ds.shm_cpid == getpid());
}

int main(void) {
    unshare(CLONE_NEWIPC);
    int a = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
    printf("shmget(IPC_PRIVATE): %d\n", a);
    int b = shmget(1234, 10000, IPC_CREAT | 0640);
    printf("shmget(key 1234): %d\n", b);
    SHOW("shmget(key 1234) again", shmget(1234, 100, 0));
    SHOW("shmget(key 1234, IPC_CREAT|IPC_EXCL)", shmget(1234, 100, IPC_CREAT | IPC_EXCL | 0600));
    SHOW("shmget(key 1234, larger)", shmget(1234, 20000, 0));
    SHOW("shmget(missing key)", shmget(999, 100, 0));
    SHOW("shmget(size 0)", shmget(IPC_PRIVATE, 0, IPC_CREAT | 0600));
    SHOW("shmget(32 TiB)", shmget(IPC_PRIVATE, 1UL << 45, IPC_CREAT | 0600));
    SHOW("shmget(past shmmax)", shmget(IPC_PRIVATE, -4096UL, IPC_CREAT | 0600));
    /* The fuzzer's find: a size past a file's limit with SHM_NORESERVE (a Sentry bug). */
    SHOW("shmget(SHM_NORESERVE, past MAX_LFS_FILESIZE)",
         shmget(IPC_PRIVATE, 0xffff8046430b538cUL, IPC_CREAT | SHM_NORESERVE | 0600));
    stat_of("new segment", b);

    char *p = shmat(b, NULL, 0);
    YESNO("shmat", p != (void *)-1);
    strcpy(p, "hello");
    char *q = shmat(b, NULL, SHM_RDONLY);
    YESNO("shmat(SHM_RDONLY) is another address", q != (void *)-1 && q != p);
    printf("read through the second attachment: %s\n", q);
    stat_of("two attachments", b);
    SHOW("shmdt(not an attachment)", shmdt(p + 4096 * 8));
    SHOW("shmdt(unaligned)", shmdt(p + 1));
    SHOW("shmdt(the read-only one)", shmdt(q));
    stat_of("after shmdt", b);

    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        printf("child reads: %s\n", p);
        stat_of("in the child", b);
        strcpy(p, "world");
        fflush(stdout);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    printf("parent reads after the child: %s\n", p);
    stat_of("after the child", b);

    char *spot = mmap(NULL, 3 * 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(spot, 3 * 4096);
    char *r = shmat(b, spot + 123, SHM_RND);
    YESNO("shmat(SHM_RND) rounds down", r == spot);
    SHOW("shmat(unaligned, no SHM_RND)", (long)shmat(b, spot + 123, 0));
    SHOW("shmat(an attached range, no SHM_REMAP)", (long)shmat(b, spot, 0));
    YESNO("shmat(SHM_REMAP) over it", shmat(b, spot, SHM_REMAP) == spot);
    SHOW("shmat(NULL, SHM_REMAP)", (long)shmat(b, NULL, SHM_REMAP));
    SHOW("shmat(bad id)", (long)shmat(b + 5, NULL, 0));
    SHOW("shmat(-1)", (long)shmat(-1, NULL, 0));
    shmdt(spot);
    shmdt(r == spot ? (void *)-1 : r);

    struct shmid_ds ds;
    shmctl(b, IPC_STAT, &ds);
    ds.shm_perm.mode = 0600;
    SHOW("shmctl(IPC_SET)", shmctl(b, IPC_SET, &ds));
    stat_of("after IPC_SET", b);
    SHOW("shmctl(SHM_LOCK)", shmctl(b, SHM_LOCK, NULL));
    stat_of("after SHM_LOCK", b);
    SHOW("shmctl(SHM_UNLOCK)", shmctl(b, SHM_UNLOCK, NULL));
    struct shminfo info;
    SHOW("shmctl(IPC_INFO)", shmctl(0, IPC_INFO, (struct shmid_ds *)&info));
    printf("IPC_INFO shmmin %lu\n", info.shmmin);
    struct shm_info si;
    SHOW("shmctl(SHM_INFO)", shmctl(0, SHM_INFO, (struct shmid_ds *)&si));
    printf("SHM_INFO used_ids %d shm_tot %lu\n", si.used_ids, si.shm_tot);
    printf("shmctl(SHM_STAT, index 1) is b: %s\n", shmctl(1, SHM_STAT, &ds) == b ? "yes" : "no");
    SHOW("shmctl(SHM_STAT, unused index)", shmctl(7, SHM_STAT, &ds));
    SHOW("shmctl(bad command)", shmctl(b, 99, &ds));
    SHOW("shmctl(-1, IPC_STAT)", shmctl(-1, IPC_STAT, &ds));
    SHOW("shmctl(IPC_STAT, bad buffer)", shmctl(b, IPC_STAT, (struct shmid_ds *)8));

    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        setuid(65534);
        SHOW("shmget(key 1234) as nobody", shmget(1234, 100, 0));
        SHOW("shmat as nobody", (long)shmat(b, NULL, 0));
        SHOW("shmctl(IPC_STAT) as nobody", shmctl(b, IPC_STAT, &ds));
        SHOW("shmctl(IPC_RMID) as nobody", shmctl(b, IPC_RMID, NULL));
        SHOW("shmctl(SHM_LOCK) as nobody", shmctl(b, SHM_LOCK, NULL));
        fflush(stdout);
        _exit(0);
    }
    waitpid(pid, NULL, 0);

    SHOW("shmctl(IPC_RMID) while attached", shmctl(b, IPC_RMID, NULL));
    stat_of("marked for removal", b);
    SHOW("shmget(key 1234) after IPC_RMID", shmget(1234, 100, 0));
    printf("still reads: %s\n", p);
    SHOW("shmdt(the last attachment)", shmdt(p));
    stat_of("after the last shmdt", b);
    SHOW("shmctl(IPC_RMID, a)", shmctl(a, IPC_RMID, NULL));
    stat_of("a after IPC_RMID", a);
    return 0;
}
