// SysV semaphores: semget keys and limits, semop's all-or-nothing operations, waits (woken
// by another process, timed out, interrupted, ended by IPC_RMID), SEM_UNDO at exit, semctl
// commands, permissions, and errno cases. Natively the probe first enters an IPC
// namespace of its own (as root), so ids start afresh as in the sandbox.
// covers: semget, semop, semtimedop, semctl
// area: processes
#include "probe.h"
#include <sched.h>
#include <signal.h>
#include <sys/sem.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

union semun { int val; struct semid_ds *buf; unsigned short *array; struct seminfo *__buf; };

static void on_alarm(int sig) { (void)sig; }

static void vals(const char *what, int id, int n) {
    unsigned short v[8] = {0};
    semctl(id, 0, GETALL, (union semun){.array = v});
    printf("%s:", what);
    for (int i = 0; i < n; i++)
        printf(" %d", v[i]);
    printf("\n");
}

int main(void) {
    unshare(CLONE_NEWIPC);
    int id = semget(IPC_PRIVATE, 3, IPC_CREAT | 0600);
    printf("semget(IPC_PRIVATE, 3): %d\n", id);
    int k = semget(4321, 2, IPC_CREAT | 0640);
    printf("semget(key 4321, 2): %d\n", k);
    SHOW("semget(key 4321) again", semget(4321, 0, 0));
    SHOW("semget(key 4321, more semaphores)", semget(4321, 3, 0));
    SHOW("semget(key 4321, IPC_CREAT|IPC_EXCL)", semget(4321, 2, IPC_CREAT | IPC_EXCL));
    SHOW("semget(missing key)", semget(999, 1, 0));
    SHOW("semget(0 semaphores, new)", semget(IPC_PRIVATE, 0, IPC_CREAT | 0600));
    SHOW("semget(too many semaphores)", semget(IPC_PRIVATE, 40000, IPC_CREAT | 0600));

    vals("new set", id, 3);
    struct sembuf up[2] = {{0, 2, 0}, {1, 1, 0}};
    /* glibc's semop is semtimedop with no timeout: the raw call too. */
    SHOW("semop(+2, +1)", syscall(SYS_semop, id, up, 2));
    vals("after", id, 3);
    struct sembuf mixed[2] = {{0, -1, 0}, {2, -1, IPC_NOWAIT}};
    SHOW("semop(-1, -1 that would wait, IPC_NOWAIT)", semop(id, mixed, 2));
    vals("unchanged (all or nothing)", id, 3);
    struct sembuf zero = {2, 0, 0};
    SHOW("semop(wait for zero, already zero)", semop(id, &zero, 1));
    struct sembuf big = {0, 32767, 0};
    SHOW("semop(past SEMVMX)", semop(id, &big, 1));
    struct sembuf far = {5, 1, 0};
    SHOW("semop(semaphore 5 of 3)", semop(id, &far, 1));
    SHOW("semop(0 operations)", semop(id, up, 0));
    SHOW("semop(bad id)", semop(id + 7, up, 1));
    SHOW("semop(bad pointer)", semop(id, (struct sembuf *)8, 1));
    struct sembuf many[600] = {{0}};
    SHOW("semop(600 operations)", semop(id, many, 600));

    struct sembuf down = {2, -1, 0};
    struct timespec ts = {0, 100000000};
    SHOW("semtimedop(times out)", semtimedop(id, &down, 1, &ts));
    struct timespec badts = {0, 1000000000};
    SHOW("semtimedop(bad timeout)", semtimedop(id, &down, 1, &badts));

    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        usleep(200000);
        struct sembuf post = {2, 1, 0};
        semop(id, &post, 1);
        _exit(0);
    }
    SHOW("semop(waits for another process)", semop(id, &down, 1));
    waitpid(child, NULL, 0);

    struct sigaction sa = {.sa_handler = on_alarm, .sa_flags = SA_RESTART};
    sigaction(SIGALRM, &sa, NULL);
    alarm(1);
    SHOW("semop(interrupted, SA_RESTART)", semop(id, &down, 1));

    fflush(stdout);
    child = fork();
    if (child == 0) {
        struct sembuf undo = {1, 5, SEM_UNDO};
        semop(id, &undo, 1);
        printf("child's SEM_UNDO +5: %d\n", semctl(id, 1, GETVAL));
        fflush(stdout);
        _exit(0);
    }
    waitpid(child, NULL, 0);
    printf("after the child's exit: %d\n", semctl(id, 1, GETVAL));
    SHOW("semctl(GETPID) is the child", semctl(id, 1, GETPID) == child);

    SHOW("semctl(SETVAL 7)", semctl(id, 0, SETVAL, (union semun){.val = 7}));
    SHOW("semctl(GETVAL)", semctl(id, 0, GETVAL));
    SHOW("semctl(SETVAL -1)", semctl(id, 0, SETVAL, (union semun){.val = -1}));
    SHOW("semctl(SETVAL 40000)", semctl(id, 0, SETVAL, (union semun){.val = 40000}));
    SHOW("semctl(GETVAL of 5)", semctl(id, 5, GETVAL));
    unsigned short all[3] = {1, 2, 3};
    SHOW("semctl(SETALL)", semctl(id, 0, SETALL, (union semun){.array = all}));
    vals("after SETALL", id, 3);
    struct semid_ds ds;
    SHOW("semctl(IPC_STAT)", semctl(id, 0, IPC_STAT, (union semun){.buf = &ds}));
    printf("IPC_STAT: nsems %lu mode %o\n", (unsigned long)ds.sem_nsems, ds.sem_perm.mode);
    ds.sem_perm.mode = 0644;
    SHOW("semctl(IPC_SET)", semctl(id, 0, IPC_SET, (union semun){.buf = &ds}));
    semctl(id, 0, IPC_STAT, (union semun){.buf = &ds});
    printf("IPC_STAT after IPC_SET: mode %o\n", ds.sem_perm.mode);
    struct seminfo si;
    SHOW("semctl(IPC_INFO)", semctl(id, 0, IPC_INFO, (union semun){.__buf = &si}));
    printf("IPC_INFO semmsl %d semopm %d semvmx %d\n", si.semmsl, si.semopm, si.semvmx);
    SHOW("semctl(SEM_INFO)", semctl(id, 0, SEM_INFO, (union semun){.__buf = &si}));
    printf("SEM_INFO semusz %d semaem %d\n", si.semusz, si.semaem);
    printf("semctl(SEM_STAT, index 1) is k: %s\n", semctl(1, 0, SEM_STAT, (union semun){.buf = &ds}) == k ? "yes" : "no");
    SHOW("semctl(bad command)", semctl(id, 0, 99));

    fflush(stdout);
    child = fork();
    if (child == 0) {
        struct sembuf w = {0, -5, 0};
        SHOW("child: semop after IPC_RMID", semop(id, &w, 1));
        fflush(stdout);
        _exit(0);
    }
    usleep(200000);
    SHOW("semctl(GETNCNT) with a waiter", semctl(id, 0, GETNCNT));
    SHOW("semctl(GETZCNT)", semctl(id, 0, GETZCNT));
    fflush(stdout);
    pid_t nobody = fork();
    if (nobody == 0) {
        setuid(65534);
        struct sembuf d = {0, -1, IPC_NOWAIT};
        SHOW("semop as nobody (mode 644)", semop(id, &d, 1));
        SHOW("semctl(GETVAL) as nobody", semctl(id, 0, GETVAL));
        SHOW("semctl(IPC_RMID) as nobody", semctl(id, 0, IPC_RMID));
        fflush(stdout);
        _exit(0);
    }
    waitpid(nobody, NULL, 0);
    SHOW("semctl(IPC_RMID)", semctl(id, 0, IPC_RMID));
    waitpid(child, NULL, 0);
    SHOW("semctl(GETVAL) after IPC_RMID", semctl(id, 0, GETVAL));
    semctl(k, 0, IPC_RMID);
    return 0;
}
