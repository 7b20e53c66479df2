// get_robust_list of the caller (pid 0, or its own tid) and of another thread: the head
// glibc registered for each thread, and the errno cases.
// covers: get_robust_list, set_robust_list
// area: processes
#include "probe.h"
#include <pthread.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t tid2;
static void *head2;
static pthread_barrier_t bar;

static void *thread(void *arg) {
    (void)arg;
    size_t len;
    tid2 = syscall(SYS_gettid);
    syscall(SYS_get_robust_list, 0, &head2, &len);
    pthread_barrier_wait(&bar);
    pthread_barrier_wait(&bar);
    return NULL;
}

int main(void) {
    void *head = NULL, *again = NULL;
    size_t len = 0;
    SHOW("get_robust_list(0)", syscall(SYS_get_robust_list, 0, &head, &len));
    printf("get_robust_list(0): registered %s, len %zu\n", head ? "yes" : "no", len);
    SHOW("get_robust_list(own tid)", syscall(SYS_get_robust_list, getpid(), &again, &len));
    YESNO("get_robust_list(own tid) is the same head", again == head);
    pthread_barrier_init(&bar, NULL, 2);
    pthread_t th;
    pthread_create(&th, NULL, thread, NULL);
    pthread_barrier_wait(&bar);
    void *other = NULL;
    SHOW("get_robust_list(another thread)", syscall(SYS_get_robust_list, tid2, &other, &len));
    YESNO("get_robust_list(another thread) is its head", other == head2 && other != head);
    pthread_barrier_wait(&bar);
    pthread_join(th, NULL);
    SHOW("get_robust_list(no such tid)", syscall(SYS_get_robust_list, 99999, &other, &len));
    SHOW("get_robust_list(bad head pointer)", syscall(SYS_get_robust_list, 0, (void *)8, &len));
    SHOW("set_robust_list(bad length)", syscall(SYS_set_robust_list, head, 7));
    fflush(stdout);
    pid_t nobody = fork();
    if (nobody == 0) {
        setuid(65534);
        SHOW("get_robust_list(its parent) as nobody", syscall(SYS_get_robust_list, getppid(), &other, &len));
        fflush(stdout);
        _exit(0);
    }
    waitpid(nobody, NULL, 0);
    return 0;
}
