// unshare: the fd table and fs context of a thread, the checks on CLONE_THREAD,
// CLONE_SIGHAND and CLONE_VM, and namespace flags refused to an unprivileged caller.
// covers: unshare
// area: processes
#include "probe.h"
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

static int fd;
static pthread_barrier_t bar;
static char cwd_in_thread[256];

static void *files(void *arg) {
    (void)arg;
    SHOW("unshare(CLONE_FILES) in a thread", unshare(CLONE_FILES));
    SHOW("close(fd) after unshare(CLONE_FILES)", close(fd));
    SHOW("unshare(CLONE_FS) in a thread", unshare(CLONE_FS));
    SHOW("chdir(/) after unshare(CLONE_FS)", chdir("/"));
    getcwd(cwd_in_thread, sizeof cwd_in_thread);
    fflush(stdout);
    pthread_barrier_wait(&bar);
    pthread_barrier_wait(&bar);
    return NULL;
}

int main(void) {
    SHOW("unshare(0)", unshare(0));
    SHOW("unshare(CLONE_THREAD), one thread", unshare(CLONE_THREAD));
    SHOW("unshare(CLONE_SIGHAND), one thread", unshare(CLONE_SIGHAND));
    SHOW("unshare(CLONE_VM), one thread", unshare(CLONE_VM));
    SHOW("unshare(CLONE_SYSVSEM)", unshare(CLONE_SYSVSEM));
    SHOW("unshare(CLONE_FILES|CLONE_FS)", unshare(CLONE_FILES | CLONE_FS));
    SHOW("unshare(CLONE_PIDFD)", unshare(CLONE_PIDFD));
    SHOW("unshare(SIGCHLD)", unshare(SIGCHLD));
    SHOW("unshare(CLONE_PARENT)", unshare(CLONE_PARENT));

    fd = open("/dev/null", O_RDONLY);
    chdir("/tmp");
    pthread_barrier_init(&bar, NULL, 2);
    pthread_t th;
    pthread_create(&th, NULL, files, NULL);
    pthread_barrier_wait(&bar);
    YESNO("the other thread's table still has fd", fcntl(fd, F_GETFD) >= 0);
    char cwd[256];
    getcwd(cwd, sizeof cwd);
    printf("cwd here: %s, in the thread: %s\n", cwd, cwd_in_thread);
    SHOW("unshare(CLONE_THREAD), two threads", unshare(CLONE_THREAD));
    SHOW("unshare(CLONE_SIGHAND), two threads", unshare(CLONE_SIGHAND));
    SHOW("unshare(CLONE_VM), two threads", unshare(CLONE_VM));
    pthread_barrier_wait(&bar);
    pthread_join(th, NULL);

    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        setuid(65534);
        SHOW("unshare(CLONE_NEWNS) as nobody", unshare(CLONE_NEWNS));
        SHOW("unshare(CLONE_NEWUTS) as nobody", unshare(CLONE_NEWUTS));
        SHOW("unshare(CLONE_NEWIPC) as nobody", unshare(CLONE_NEWIPC));
        SHOW("unshare(CLONE_NEWNET) as nobody", unshare(CLONE_NEWNET));
        SHOW("unshare(CLONE_NEWPID) as nobody", unshare(CLONE_NEWPID));
        SHOW("unshare(CLONE_NEWCGROUP) as nobody", unshare(CLONE_NEWCGROUP));
        fflush(stdout);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    return 0;
}
