"""The Sentry's own seccomp filter: what the Sentry process itself may ask of the host.

As gVisor's Sentry restricts itself (runsc/boot/filter), ours installs a filter on itself
once the sandbox is set up (the first task launched, the root file system open), so that
a Sentry compromised through a handler bug can only make the host calls the Sentry needs.
The list was gathered with `strace` of the Sentry (without -f: its own calls only) on
both platforms over the test workloads (shell pipelines, Python threads, subprocess and
multiprocessing, the exhaustion probes, the syscall fuzzer), and grouped below by need.

What it takes away: creating processes or running programs (clone, fork, vfork, execve,
execveat: the workload's tasks are created by the host's clone *in the task*), sockets
(unless --network=host, where the Sentry relays the guest's sockets), mounts,
namespaces, module loading, bpf, io_uring, keyrings, the kernel's own knobs, and
everything else not listed. What it cannot take away without a gofer (the open question
in THREAT-MODEL.md): openat of host paths (the root file system is read through the
Sentry's own fds), ptrace and signals (kill/tgkill of any pid the host lets root
signal), and reads of /proc.

Default action: kill the whole Sentry (SECCOMP_RET_KILL_PROCESS), as gVisor does. A
call outside the list is a compromise or a Sentry bug; the workload dies with the Sentry
(PR_SET_PDEATHSIG, PTRACE_O_EXITKILL, the PID namespace's init), so the sandbox fails
closed, and the kernel logs the call's number in the audit log (dmesg: "audit:
type=1326 ... syscall=N"). Log-and-EPERM was not chosen: a compromised Sentry could
probe on, and a buggy one would turn the EPERM into an errno for the guest without a
trace. For finding a missing call, `--sentry-seccomp=log` allows and logs instead.

The filter is inherited by every process the Sentry starts afterwards: a new task
launched from the Sentry after `install` would run under it too (stacked filters: the
strictest action wins), so the Sentry must launch its tasks first.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from sentry.platform import libseccomp as sc

MODES = ("kill", "log", "off")

# Calls the Sentry makes after set-up, by need.
SENTRY_CALLS: dict[str, tuple[str, ...]] = {
    "the trap loop: tracing, waiting, the task's memory and registers": (
        "ptrace", "wait4", "waitid", "process_vm_readv", "process_vm_writev",
        "pidfd_open", "pidfd_getfd", "pidfd_send_signal", "kill", "tgkill", "tkill",
        "kcmp",  # is a task's donation slot holding this fd already (Platform.donate)
        "rt_sigqueueinfo", "rt_tgsigqueueinfo",  # a guest's sigqueue, sent to its task
        "sched_setaffinity",  # a guest sched_setaffinity, applied to its task's thread
        "setpriority",  # a guest's positive nice value, applied to its task's thread
        "sched_rr_get_interval",  # the host's time slice of a task's thread
        "sched_getattr",  # and its fair slice (sched_runtime)
        "get_robust_list",  # a guest's get_robust_list of another of its threads
        "ioctl",  # SECCOMP_IOCTL_NOTIF_* on the listener; tty requests forwarded to stdio
    ),
    "the event loop": (
        "epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait", "poll", "ppoll",
        "select", "pselect6", "pipe2", "nanosleep", "clock_nanosleep", "clock_gettime",
        "clock_getres", "gettimeofday", "sched_yield", "getrandom",
        "timer_create", "timer_settime",  # the fast path's wake-up at a deadline (trap.c)
    ),
    "host files: the root file system, stdio, memfd-backed tmpfs, /proc of the tasks": (
        "openat", "close", "close_range", "read", "write", "pread64", "pwrite64",
        "readv", "writev", "preadv", "pwritev", "lseek", "fstat", "newfstatat",
        "statx", "fstatfs", "statfs", "getdents64", "readlink", "readlinkat",
        "access", "faccessat", "faccessat2", "fcntl", "dup", "dup2", "dup3", "ftruncate",
        "fallocate", "memfd_create", "getxattr", "lgetxattr", "fgetxattr", "listxattr",
        "llistxattr", "flistxattr", "getcwd", "sendfile",
    ),
    "the Python runtime and its allocator": (
        "mmap", "munmap", "mprotect", "mremap", "madvise", "brk", "futex", "rt_sigaction",
        "rt_sigprocmask", "rt_sigreturn", "sigaltstack", "getpid", "gettid", "getppid",
        "getuid", "geteuid", "getgid", "getegid", "getgroups", "uname", "sysinfo",
        "prlimit64", "getrlimit", "sched_getaffinity", "set_robust_list", "rseq",
        "exit", "exit_group",
    ),
}


# --network=host: the Sentry relays the guest's sockets to host sockets it holds
# (sentry/netstack/hostinet), and reads the host's interfaces through netlink and ioctl.
HOST_NETWORK_CALLS = (
    "socket", "connect", "bind", "listen", "accept", "accept4", "sendto", "recvfrom",
    "sendmsg", "recvmsg", "sendmmsg", "recvmmsg", "shutdown", "getsockname", "getpeername",
    "setsockopt", "getsockopt",
)

# Container mode (the sandbox process of create/start/run): the control socket's helper
# thread (started before the filter) accepts `runsc_py exec` connections and passes their
# stdio by SCM_RIGHTS; the state directory's files (the exit status) are written and
# renamed into place; rw bind mounts write through to host directories the Sentry holds
# (sentry/vfs/fsimpl/host/writable.py: *at calls on held directory fds). No socket is
# created and no process started after the filter.
CONTAINER_CALLS = (
    "accept", "accept4", "recvmsg", "sendmsg", "sendto", "recvfrom", "shutdown",
    "getsockopt", "getsockname", "rename", "renameat", "renameat2", "unlink", "unlinkat",
    # rw binds
    "mkdir", "mkdirat", "mknodat", "symlinkat", "linkat", "rmdir", "chmod", "fchmod",
    "fchmodat", "fchownat", "fchown", "utimensat", "fsync", "fdatasync", "setxattr",
    "lsetxattr", "fsetxattr", "removexattr", "lremovexattr", "fremovexattr",
)


def allowed_names(network: str = "none", container: bool = False) -> list[str]:
    names = {n for group in SENTRY_CALLS.values() for n in group}
    if network == "host":
        names.update(HOST_NETWORK_CALLS)
    if container:
        names.update(CONTAINER_CALLS)
    return sorted(names)


AT_REMOVEDIR = 0x200


def build(mode: str = "kill", network: str = "none", container: bool = False,
          rmdir_dirfds: tuple[int, ...] = ()) -> sc.SyscallFilter:
    """The filter; `mode` is the default action: kill the Sentry, or log (and allow).

    `rmdir_dirfds`: directories held open by the Sentry under which it may still remove
    a directory, by unlinkat(fd, name, AT_REMOVEDIR) with exactly that fd and flag (`do`
    removes its cgroups after the run: runsc_py/container/workload_cgroup.py)."""
    from sentry.platform import libseccomp as sc

    default = sc.KILL_PROCESS if mode == "kill" else sc.LOG
    f = sc.SyscallFilter(default)
    f.set_attr(sc.Attr.ACT_BADARCH, sc.KILL_PROCESS)  # no other ABI, ever
    for name in allowed_names(network, container):
        try:
            f.add_rule(sc.ALLOW, name)
        except Exception as e:  # a name this libseccomp does not know: a list bug
            raise ValueError(f"sentry filter: unknown syscall {name!r}") from e
    for fd in rmdir_dirfds:
        f.add_rule(sc.ALLOW, "unlinkat", sc.Arg(0, sc.EQ, fd), sc.Arg(2, sc.EQ, AT_REMOVEDIR))
    return f


def install(mode: str = "kill", network: str = "none", container: bool = False,
            rmdir_dirfds: tuple[int, ...] = ()) -> None:
    """Restricts the calling process (the Sentry) for the rest of its life; `container`
    adds what the sandbox process of the OCI runtime needs (CONTAINER_CALLS)."""
    if mode == "off":
        return
    if mode not in MODES:
        raise ValueError(f"sentry filter mode {mode!r} (one of {', '.join(MODES)})")
    # load() sets no_new_privs first, as libseccomp does by default.
    build(mode, network, container, rmdir_dirfds).load()


__all__ = ["AT_REMOVEDIR", "CONTAINER_CALLS", "HOST_NETWORK_CALLS", "MODES", "SENTRY_CALLS",
           "allowed_names", "build", "install"]
