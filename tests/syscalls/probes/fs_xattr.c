// Extended attributes (user.* and trusted.*): set/get/list/remove by path, link and fd.
// covers: setxattr, lsetxattr, fsetxattr, getxattr, lgetxattr, fgetxattr, listxattr, llistxattr, flistxattr, removexattr, lremovexattr, fremovexattr
// area: files
// usage: fs_xattr SCRATCH   (SCRATCH must not exist yet; its parent must)
#include "probe.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

static int cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Prints a name list sorted (the order is the file system's). */
static void show_list(const char *what, long n, const char *buf) {
    if (n < 0) {
        printf("%s: -1 %s\n", what, probe_errname(errno));
        return;
    }
    const char *names[32];
    int k = 0;
    for (long off = 0; off < n && k < 32; off += strlen(buf + off) + 1)
        names[k++] = buf + off;
    qsort(names, k, sizeof *names, cmp);
    printf("%s: %ld [", what, n);
    for (int i = 0; i < k; i++)
        printf("%s%s", i ? " " : "", names[i]);
    printf("]\n");
}

static void show_value(const char *what, long n, const char *buf) {
    if (n < 0)
        printf("%s: -1 %s\n", what, probe_errname(errno));
    else
        printf("%s: %ld \"%.*s\"\n", what, n, (int)n, buf);
}

int main(int argc, char **argv) {
    char buf[256];
    if (argc < 2)
        return 2;
    SHOW("mkdir(scratch)", mkdir(argv[1], 0755));
    SHOW("chdir(scratch)", chdir(argv[1]));
    int fd = SHOW("open(f, O_CREAT)", open("f", O_CREAT | O_RDWR, 0644));
    SHOW("symlink(f, l)", symlink("f", "l"));

    SHOW("setxattr(f, user.a)", setxattr("f", "user.a", "alpha", 5, 0));
    SHOW("setxattr(l, user.b) follows", setxattr("l", "user.b", "beta", 4, 0));
    SHOW("setxattr(f, user.a, CREATE) exists", setxattr("f", "user.a", "x", 1, XATTR_CREATE));
    SHOW("setxattr(f, user.c, REPLACE) missing", setxattr("f", "user.c", "x", 1, XATTR_REPLACE));
    SHOW("setxattr(f, user.a, REPLACE)", setxattr("f", "user.a", "ALPHA!", 6, XATTR_REPLACE));
    SHOW("setxattr(f, user.e, empty value)", setxattr("f", "user.e", "", 0, 0));
    SHOW("setxattr(bad flags)", setxattr("f", "user.x", "x", 1, 4));
    SHOW("setxattr(no namespace)", setxattr("f", "noprefix", "x", 1, 0));
    SHOW("setxattr(unknown namespace)", setxattr("f", "bogus.x", "x", 1, 0));
    SHOW("setxattr(empty name)", setxattr("f", "", "x", 1, 0));
    SHOW("setxattr(missing)", setxattr("missing", "user.a", "x", 1, 0));
    SHOW("lsetxattr(l, user.x) on symlink", lsetxattr("l", "user.x", "x", 1, 0));
    SHOW("lsetxattr(l, trusted.t)", lsetxattr("l", "trusted.t", "tee", 3, 0));
    SHOW("fsetxattr(fd, user.d)", fsetxattr(fd, "user.d", "delta", 5, 0));
    SHOW("fsetxattr(bad fd)", fsetxattr(99, "user.d", "x", 1, 0));
    char longname[300] = "user.";
    memset(longname + 5, 'n', 290);
    SHOW("setxattr(name too long)", setxattr("f", longname, "x", 1, 0));

    long n = getxattr("f", "user.a", buf, sizeof buf);
    show_value("getxattr(f, user.a)", n, buf);
    n = getxattr("l", "user.b", buf, sizeof buf);
    show_value("getxattr(l, user.b) follows", n, buf);
    SHOW("getxattr(f, user.a, size 0)", getxattr("f", "user.a", NULL, 0));
    SHOW("getxattr(f, user.a, size 2)", getxattr("f", "user.a", buf, 2));
    SHOW("getxattr(f, user.none)", getxattr("f", "user.none", buf, sizeof buf));
    n = getxattr("f", "user.e", buf, sizeof buf);
    show_value("getxattr(f, user.e)", n, buf);
    SHOW("getxattr(missing)", getxattr("missing", "user.a", buf, sizeof buf));
    n = lgetxattr("l", "trusted.t", buf, sizeof buf);
    show_value("lgetxattr(l, trusted.t)", n, buf);
    SHOW("lgetxattr(l, user.a) not on link", lgetxattr("l", "user.a", buf, sizeof buf));
    n = fgetxattr(fd, "user.d", buf, sizeof buf);
    show_value("fgetxattr(fd, user.d)", n, buf);
    SHOW("fgetxattr(bad fd)", fgetxattr(99, "user.d", buf, sizeof buf));

    n = listxattr("f", buf, sizeof buf);
    show_list("listxattr(f)", n, buf);
    SHOW("listxattr(f, size 0)", listxattr("f", NULL, 0));
    SHOW("listxattr(f, size 3)", listxattr("f", buf, 3));
    n = llistxattr("l", buf, sizeof buf);
    show_list("llistxattr(l)", n, buf);
    n = flistxattr(fd, buf, sizeof buf);
    show_list("flistxattr(fd)", n, buf);
    SHOW("listxattr(missing)", listxattr("missing", buf, sizeof buf));

    SHOW("removexattr(f, user.a)", removexattr("f", "user.a"));
    SHOW("removexattr(f, user.a) again", removexattr("f", "user.a"));
    SHOW("lremovexattr(l, trusted.t)", lremovexattr("l", "trusted.t"));
    SHOW("lremovexattr(l, user.b) not on link", lremovexattr("l", "user.b"));
    SHOW("fremovexattr(fd, user.d)", fremovexattr(fd, "user.d"));
    SHOW("fremovexattr(bad fd)", fremovexattr(99, "user.d"));
    n = flistxattr(fd, buf, sizeof buf);
    show_list("flistxattr(fd) after", n, buf);
    n = llistxattr("l", buf, sizeof buf);
    show_list("llistxattr(l) after", n, buf);
    return 0;
}
