// The image execve builds: the auxv entries that name places in it (AT_ENTRY, AT_PHDR,
// AT_PHNUM, AT_BASE at the loader's first mapping), AT_EXECFN, AT_RANDOM, zeroed bss next
// to initialised data, argv and envp as given (exec_image_static: the same, -static).
// covers: execve
// area: processes and credentials
// usage: exec_image SCRATCH
#include "probe.h"
#include <link.h>
#include <stdint.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char _start[];
static long data_word = 42;      /* .data: the page it shares with .bss ... */
static long bss_words[64];       /* ... whose rest must read as zero */
static char bss_big[20000];

static int first_phdr(struct dl_phdr_info *info, size_t size, void *out) {
    (void)size;
    *(struct dl_phdr_info *)out = *info;
    return 1;  /* the first object is the program */
}

/* Whether the mapping at `addr` is the start of a mapping of a file named *ld-linux*. */
static int loader_mapping_at(unsigned long addr) {
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    int found = 0;
    while (f && fgets(line, sizeof line, f)) {
        unsigned long lo = strtoul(line, NULL, 16);
        if (lo == addr && strstr(line, "ld-linux"))
            found = 1;
    }
    if (f)
        fclose(f);
    return found;
}

static void child(int argc, char **argv, char **envp) {
    struct dl_phdr_info info;
    dl_iterate_phdr(first_phdr, &info);
    unsigned long base = getauxval(AT_BASE);
    printf("AT_ENTRY is _start: %s\n", getauxval(AT_ENTRY) == (unsigned long)_start ? "yes" : "no");
    printf("AT_PHDR is the program's: %s\n",
           getauxval(AT_PHDR) == (unsigned long)info.dlpi_phdr ? "yes" : "no");
    printf("AT_PHNUM matches: %s\n", getauxval(AT_PHNUM) == info.dlpi_phnum ? "yes" : "no");
    printf("AT_PHENT: %lu AT_PAGESZ: %lu\n", getauxval(AT_PHENT), getauxval(AT_PAGESZ));
    printf("AT_BASE: %s\n", base == 0 ? "0 (no loader)"
                            : loader_mapping_at(base) ? "the loader's first mapping" : "elsewhere");
    const char *execfn = (const char *)getauxval(AT_EXECFN);
    printf("AT_EXECFN is the path: %s\n", execfn && !strcmp(execfn, argv[0]) ? "yes" : "no");
    const unsigned char *rnd = (const unsigned char *)getauxval(AT_RANDOM);
    int nz = 0;
    for (int i = 0; rnd && i < 16; i++)
        nz |= rnd[i];
    printf("AT_RANDOM: %s\n", rnd ? (nz ? "16 bytes" : "zero") : "missing");
    printf("AT_PLATFORM: %s\n", (const char *)getauxval(AT_PLATFORM));
    long any = 0;
    for (int i = 0; i < 64; i++)
        any |= bss_words[i];
    for (size_t i = 0; i < sizeof bss_big; i++)
        any |= bss_big[i];
    printf("data %ld, bss zero: %s\n", data_word, any ? "no" : "yes");
    printf("argc=%d", argc);
    for (int i = 1; i < argc; i++)
        printf(" [%s]", argv[i]);
    printf(" env:");
    for (char **e = envp; *e; e++)
        printf(" [%s]", *e);
    printf("\n");
}

int main(int argc, char **argv, char **envp) {
    if (argc > 1 && !strcmp(argv[1], "--child")) {
        child(argc, argv, envp);
        return 0;
    }
    data_word = 7;  /* the parent's change must not reach the new image */
    bss_words[3] = 1;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        char *args[] = {argv[0], "--child", "x y", "", NULL};
        char *env[] = {"A=1", "B=", "C=three", NULL};
        syscall(SYS_execve, argv[0], args, env);
        _exit(99);
    }
    int st;
    waitpid(pid, &st, 0);
    printf("child: %s %d\n", WIFEXITED(st) ? "exit" : "signal",
           WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
    return 0;
}
