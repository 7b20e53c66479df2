// SysV message queues: msgget keys, msgsnd/msgrcv by type (0, > 0, < 0, MSG_EXCEPT),
// MSG_NOERROR and E2BIG, MSG_COPY, waits (a full queue, no message, IPC_RMID), msgctl
// commands, permissions and errno cases. Natively the probe first enters an IPC
// namespace of its own (as root), so ids start afresh as in the sandbox.
// covers: msgget, msgsnd, msgrcv, msgctl
// area: processes
#include "probe.h"
#include <sched.h>
#include <signal.h>
#include <sys/msg.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MSG_COPY
#define MSG_COPY 040000
#endif

struct msg { long type; char text[64]; };

static void send(int id, long type, const char *text) {
    struct msg m = {.type = type};
    strcpy(m.text, text);
    msgsnd(id, &m, strlen(text), 0);
}

static void recv(const char *what, int id, long type, int flags, size_t size) {
    struct msg m = {0};
    long n = msgrcv(id, &m, size, type, flags);
    if (n < 0)
        printf("%s: -1 %s\n", what, probe_errname(errno));
    else
        printf("%s: %ld type %ld \"%.*s\"\n", what, n, m.type, (int)n, m.text);
}

static void on_alarm(int sig) { (void)sig; }

int main(void) {
    unshare(CLONE_NEWIPC);
    int id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    printf("msgget(IPC_PRIVATE): %d\n", id);
    int k = msgget(777, IPC_CREAT | 0640);
    printf("msgget(key 777): %d\n", k);
    SHOW("msgget(key 777) again", msgget(777, 0));
    SHOW("msgget(key 777, IPC_CREAT|IPC_EXCL)", msgget(777, IPC_CREAT | IPC_EXCL));
    SHOW("msgget(missing key)", msgget(778, 0));

    send(id, 3, "three");
    send(id, 1, "one");
    send(id, 2, "two");
    send(id, 1, "one again");
    struct msqid_ds ds;
    msgctl(id, IPC_STAT, &ds);
    printf("IPC_STAT: qnum %lu cbytes %lu qbytes %lu lspid-is-me %d\n", (unsigned long)ds.msg_qnum,
           (unsigned long)ds.__msg_cbytes, (unsigned long)ds.msg_qbytes, ds.msg_lspid == getpid());
    recv("msgrcv(MSG_COPY, index 1)", id, 1, MSG_COPY | IPC_NOWAIT, 64);
    recv("msgrcv(MSG_COPY without IPC_NOWAIT)", id, 1, MSG_COPY, 64);
    recv("msgrcv(type 2)", id, 2, 0, 64);
    recv("msgrcv(type -2: lowest up to 2)", id, -2, 0, 64);
    recv("msgrcv(not type 1)", id, 1, MSG_EXCEPT, 64);
    recv("msgrcv(too small)", id, 0, 0, 3);
    recv("msgrcv(MSG_NOERROR)", id, 0, MSG_NOERROR, 3);
    recv("msgrcv(empty, IPC_NOWAIT)", id, 0, IPC_NOWAIT, 64);
    struct msg bad = {.type = 0};
    SHOW("msgsnd(type 0)", msgsnd(id, &bad, 1, 0));
    SHOW("msgsnd(too big)", msgsnd(id, &bad, 9000, 0));
    SHOW("msgsnd(bad pointer)", msgsnd(id, (void *)8, 1, 0));
    SHOW("msgsnd(bad id)", msgsnd(id + 9, &bad, 1, 0));

    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        usleep(200000);
        send(id, 5, "later");
        _exit(0);
    }
    recv("msgrcv(waits for a sender)", id, 5, 0, 64);
    waitpid(child, NULL, 0);

    struct sigaction sa = {.sa_handler = on_alarm, .sa_flags = SA_RESTART};
    sigaction(SIGALRM, &sa, NULL);
    alarm(1);
    recv("msgrcv(interrupted, SA_RESTART)", id, 9, 0, 64);

    msgctl(id, IPC_STAT, &ds);
    ds.msg_qbytes = 10;
    SHOW("msgctl(IPC_SET qbytes 10)", msgctl(id, IPC_SET, &ds));
    send(id, 1, "0123456789");
    struct msg m = {.type = 1};
    SHOW("msgsnd(a full queue, IPC_NOWAIT)", msgsnd(id, &m, 1, IPC_NOWAIT));
    fflush(stdout);
    child = fork();
    if (child == 0) {
        usleep(200000);
        struct msg r;
        msgrcv(id, &r, 64, 0, 0);
        _exit(0);
    }
    SHOW("msgsnd(waits for room)", msgsnd(id, &m, 1, 0));
    waitpid(child, NULL, 0);

    struct msginfo info;
    SHOW("msgctl(IPC_INFO)", msgctl(0, IPC_INFO, (struct msqid_ds *)&info));
    printf("IPC_INFO msgmax %d msgmnb %d msgssz %d\n", info.msgmax, info.msgmnb, info.msgssz);
    SHOW("msgctl(MSG_INFO)", msgctl(0, MSG_INFO, (struct msqid_ds *)&info));
    printf("MSG_INFO queues %d messages %d bytes %d\n", info.msgpool, info.msgmap, info.msgtql);
    printf("msgctl(MSG_STAT, index 1) is k: %s\n", msgctl(1, MSG_STAT, &ds) == k ? "yes" : "no");
    SHOW("msgctl(bad command)", msgctl(id, 99, &ds));

    fflush(stdout);
    child = fork();
    if (child == 0) {
        struct msg r;
        long n = msgrcv(k, &r, 64, 0, 0);
        printf("child: msgrcv after IPC_RMID: %ld %s\n", n, n < 0 ? probe_errname(errno) : "");
        fflush(stdout);
        _exit(0);
    }
    usleep(200000);
    fflush(stdout);
    pid_t nobody = fork();
    if (nobody == 0) {
        setuid(65534);
        struct msg r;
        SHOW("msgrcv as nobody (mode 640)", msgrcv(k, &r, 64, 0, IPC_NOWAIT));
        SHOW("msgctl(IPC_RMID) as nobody", msgctl(k, IPC_RMID, NULL));
        fflush(stdout);
        _exit(0);
    }
    waitpid(nobody, NULL, 0);
    SHOW("msgctl(IPC_RMID)", msgctl(k, IPC_RMID, NULL));
    waitpid(child, NULL, 0);
    SHOW("msgctl(IPC_STAT) after IPC_RMID", msgctl(k, IPC_STAT, &ds));
    msgctl(id, IPC_RMID, NULL);
    return 0;
}
