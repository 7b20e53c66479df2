// Program start: fork and vfork (the raw calls), execve and execveat of this probe, of a
// #! script and of things that are not programs; what survives exec (args, env, fds).
// covers: fork, vfork, execve, execveat
// area: processes and credentials
// usage: exec SCRATCH   (SCRATCH must not exist yet; its parent must)
#include "probe.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void child_report(int argc, char **argv) {
    printf("child: argc=%d", argc);
    for (int i = 2; i < argc; i++)
        printf(" [%s]", argv[i]);
    const char *x = getenv("PROBE_X");
    printf(" PROBE_X=%s", x ? x : "(unset)");
    printf(" fd7=%s fd8=%s\n", fcntl(7, F_GETFD) < 0 ? "closed" : "open",
           fcntl(8, F_GETFD) < 0 ? "closed" : "open");
    fflush(stdout);
}

/* Runs fn in a forked child; prints how it ended. */
static void in_child(const char *what, void (*fn)(const char *), const char *self) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        fn(self);
        _exit(99);
    }
    int st;
    waitpid(pid, &st, 0);
    if (WIFEXITED(st))
        printf("%s: exit %d\n", what, WEXITSTATUS(st));
    else
        printf("%s: signal %d\n", what, WTERMSIG(st));
}

static void do_execve(const char *self) {
    char *args[] = {(char *)self, "--exec-child", "a b", "", "c", NULL};
    char *env[] = {"PROBE_X=hello", NULL};
    syscall(SYS_execve, self, args, env);
    printf("execve: -1 %s\n", probe_errname(errno));
}

static void do_execveat(const char *self) {
    int fd = open(self, O_RDONLY | O_CLOEXEC);
    char *args[] = {"renamed", "--exec-child", "at", NULL};
    char *env[] = {NULL};
    syscall(SYS_execveat, fd, "", args, env, AT_EMPTY_PATH);
    printf("execveat: -1 %s\n", probe_errname(errno));
}

static void do_script(const char *self) {
    (void)self;
    char *args[] = {"script", "arg1", NULL};
    char *env[] = {"PATH=/usr/bin:/bin", NULL};
    syscall(SYS_execve, "script.sh", args, env);
    printf("execve(script): -1 %s\n", probe_errname(errno));
}

static void errors(void) {
    char *args[] = {"x", NULL};
    char *env[] = {NULL};
    SHOW("execve(missing)", syscall(SYS_execve, "missing", args, env));
    SHOW("execve(dir)", syscall(SYS_execve, ".", args, env));
    SHOW("execve(not executable)", syscall(SYS_execve, "plain", args, env));
    SHOW("execve(no magic)", syscall(SYS_execve, "garbage", args, env));
    SHOW("execve(bad path)", syscall(SYS_execve, (void *)8, args, env));
    SHOW("execve(bad argv)", syscall(SYS_execve, "garbage", (void *)8, env));
    SHOW("execveat(bad flags)", syscall(SYS_execveat, AT_FDCWD, "garbage", args, env, 0x1));
    SHOW("execveat(bad dirfd)", syscall(SYS_execveat, 99, "x", args, env, 0));
    SHOW("execveat(\"\" without EMPTY_PATH)", syscall(SYS_execveat, AT_FDCWD, "", args, env, 0));
    /* The strings: a bad pointer, one running into an unmapped page (next to good ones on
     * the same page), one longer than MAX_ARG_STRLEN; "garbage" is executable, so Linux
     * copies the strings (and fails) before it looks at the contents. */
    char *bad_arg[] = {"x", (char *)8, NULL};
    char *bad_env[] = {"A=1", (char *)8, NULL};
    SHOW("execve(bad argv string)", syscall(SYS_execve, "garbage", bad_arg, env));
    SHOW("execve(bad envp string)", syscall(SYS_execve, "garbage", args, bad_env));
    char *page = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(page + 4096, 4096);
    memset(page, 'y', 4096);
    memcpy(page, "x\0y=1\0", 6);
    char *cut_arg[] = {page, page + 2, page + 4090, NULL};
    char *cut_env[] = {page + 2, NULL};
    SHOW("execve(argv string into an unmapped page)", syscall(SYS_execve, "garbage", cut_arg, env));
    SHOW("execve(strings on one page, no program)", syscall(SYS_execve, "garbage", cut_env, cut_env));
    char *big = malloc(140000);
    memset(big, 'x', 139999);
    big[139999] = 0;
    char *long_arg[] = {"x", big, NULL};
    SHOW("execve(argv string over MAX_ARG_STRLEN)", syscall(SYS_execve, "garbage", long_arg, env));
    free(big);
}

static void write_file(const char *path, const char *text, int mode) {
    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, mode);
    write(fd, text, strlen(text));
    close(fd);
}

int main(int argc, char **argv) {
    if (argc >= 2 && strcmp(argv[1], "--exec-child") == 0) {
        child_report(argc, argv);
        return 7;
    }
    if (argc < 2)
        return 2;
    SHOW("mkdir(scratch)", mkdir(argv[1], 0755));
    SHOW("chdir(scratch)", chdir(argv[1]));
    char self[4096];
    long n = readlink("/proc/self/exe", self, sizeof self - 1);
    self[n > 0 ? n : 0] = 0;

    fflush(stdout);
    long pid = syscall(SYS_fork);
    if (pid == 0)
        _exit(3);
    int st;
    printf("fork: %s\n", pid > 0 ? "child" : probe_errname(errno));
    SHOW("wait4(fork child)", wait4(pid, &st, 0, NULL) == pid);
    printf("fork child exit: %d\n", WEXITSTATUS(st));

    static volatile int shared = 0;
    fflush(stdout);
    pid = vfork();
    if (pid == 0) {
        shared = 42; /* the parent sees it: vfork shares the address space until _exit */
        _exit(4);
    }
    waitpid(pid, &st, 0);
    printf("vfork: child exit %d, shared=%d\n", WEXITSTATUS(st), shared);

    dup2(1, 7);                      /* inherited across exec */
    fcntl(dup2(1, 8), F_SETFD, FD_CLOEXEC); /* closed by exec */
    in_child("execve(self)", do_execve, self);
    in_child("execveat(fd, \"\", EMPTY_PATH)", do_execveat, self);
    write_file("script.sh", "#!/bin/sh\necho \"script: $0 $1\"\nexit 5\n", 0755);
    in_child("execve(#! script)", do_script, self);
    write_file("plain", "data\n", 0644);
    write_file("garbage", "\x01\x02garbage\n", 0755);
    errors();

    fflush(stdout);
    pid = vfork();
    if (pid == 0) {
        char *args[] = {self, "--exec-child", "vforked", NULL};
        execve(self, args, (char *[]){NULL});
        _exit(98);
    }
    waitpid(pid, &st, 0);
    printf("vfork+execve: exit %d\n", WEXITSTATUS(st));
    return 0;
}
