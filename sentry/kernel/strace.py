"""Decodes syscalls for `--strace`, in strace's notation.

    format_call("openat", args, mem)  -> 'openat(AT_FDCWD, "/etc/passwd", O_RDONLY|O_CLOEXEC)'
    format_result("openat", -2)       -> '-1 ENOENT (No such file or directory)'
    format_line(name, args, mem, ret) -> the two joined with " = ": one line per call

Each known call has a row in FORMATS: one argument kind per argument. Reading guest memory
never raises here: a pointer that cannot be read is shown as its address. Unknown calls show
all six arguments in hex. Decoding happens at the call's entry for input arguments, so
buffers a call fills (read, fstat) are shown as pointers.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Sequence

from sentry.abi.errno import NAMES as ERRNO_NAMES
from sentry.abi.errno import SysError
from sentry.kernel.memory import PATH_MAX, Memory
from sentry.kernel.sigmask import INTERRUPTED

STRING_LIMIT = 32  # bytes of a buffer or argv string shown before "..." (strace -s 32)
ARGV_LIMIT = 16  # argv/envp entries shown before "..."
_M64 = (1 << 64) - 1


def _s32(v: int) -> int:
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v & 0x80000000 else v


def _s64(v: int) -> int:
    v &= _M64
    return v - (1 << 64) if v & (1 << 63) else v


def _ptr(v: int) -> str:
    return "NULL" if v == 0 else hex(v & _M64)


def quote(data: bytes, truncated: bool = False) -> str:
    """strace's quoting: C escapes, octal for other non-printables, "..." when cut."""
    out = ['"']
    for i, c in enumerate(data):
        if c in _ESCAPES:
            out.append(_ESCAPES[c])
        elif 0x20 <= c < 0x7F:
            out.append(chr(c))
        else:
            nxt = data[i + 1] if i + 1 < len(data) else 0
            # The shortest octal, unless a digit follows and would be read as part of it.
            out.append(f"\\{c:03o}" if 0x30 <= nxt <= 0x37 else f"\\{c:o}")
    out.append('"...' if truncated else '"')
    return "".join(out)


_ESCAPES = {0x09: "\\t", 0x0A: "\\n", 0x0B: "\\v", 0x0C: "\\f", 0x0D: "\\r", 0x22: '\\"',
            0x5C: "\\\\"}


def _cstr(mem: Memory, addr: int, limit: int) -> str:
    """A NUL-terminated string of at most `limit` bytes shown, or the address if unreadable."""
    if addr == 0:
        return "NULL"
    data = mem.read_partial(addr, limit + 1)
    nul = data.find(b"\0")
    if nul >= 0:
        return quote(data[:nul])
    if len(data) == limit + 1:
        return quote(data[:limit], truncated=True)
    return _ptr(addr)  # the string runs into an unmapped page


def _flags(v: int, table: Sequence[tuple[int, str]], zero: str = "0") -> str:
    """`A|B|0x40` for a bit set; `zero` when v is 0."""
    names, rest = [], v
    for bit, name in table:
        if bit and rest & bit == bit:
            names.append(name)
            rest &= ~bit
    if rest:
        names.append(hex(rest))
    return "|".join(names) or zero


# Flag tables, in the order strace prints them. Combined values come before their parts.
O_FLAGS = [
    (0o20200000, "O_TMPFILE"), (0o100, "O_CREAT"), (0o200, "O_EXCL"), (0o400, "O_NOCTTY"),
    (0o1000, "O_TRUNC"), (0o2000, "O_APPEND"), (0o4000, "O_NONBLOCK"), (0o4010000, "O_SYNC"),
    (0o10000, "O_DSYNC"), (0o20000, "O_ASYNC"), (0o40000, "O_DIRECT"),
    (0o200000, "O_DIRECTORY"), (0o400000, "O_NOFOLLOW"), (0o1000000, "O_NOATIME"),
    (0o2000000, "O_CLOEXEC"), (0o10000000, "O_PATH"), (0o100000, "O_LARGEFILE"),
]
_O_ACCMODE = {0: "O_RDONLY", 1: "O_WRONLY", 2: "O_RDWR", 3: "O_ACCMODE"}
PROT = [(1, "PROT_READ"), (2, "PROT_WRITE"), (4, "PROT_EXEC"), (8, "PROT_SEM"),
        (0x01000000, "PROT_GROWSDOWN"), (0x02000000, "PROT_GROWSUP")]
_MAP_TYPE = {1: "MAP_SHARED", 2: "MAP_PRIVATE", 3: "MAP_SHARED_VALIDATE"}
MAP = [
    (0x10, "MAP_FIXED"), (0x20, "MAP_ANONYMOUS"), (0x40, "MAP_32BIT"), (0x100, "MAP_GROWSDOWN"),
    (0x800, "MAP_DENYWRITE"), (0x1000, "MAP_EXECUTABLE"), (0x2000, "MAP_LOCKED"),
    (0x4000, "MAP_NORESERVE"), (0x8000, "MAP_POPULATE"), (0x10000, "MAP_NONBLOCK"),
    (0x20000, "MAP_STACK"), (0x40000, "MAP_HUGETLB"), (0x80000, "MAP_SYNC"),
    (0x100000, "MAP_FIXED_NOREPLACE"), (0x4000000, "MAP_UNINITIALIZED"),
]
AT = [(0x100, "AT_SYMLINK_NOFOLLOW"), (0x400, "AT_SYMLINK_FOLLOW"), (0x800, "AT_NO_AUTOMOUNT"),
      (0x1000, "AT_EMPTY_PATH"), (0x2000, "AT_STATX_FORCE_SYNC"), (0x4000, "AT_STATX_DONT_SYNC"),
      (0x8000, "AT_RECURSIVE")]
AT_UNLINK = [(0x200, "AT_REMOVEDIR")]
AT_ACCESS = [(0x200, "AT_EACCESS"), (0x100, "AT_SYMLINK_NOFOLLOW"), (0x1000, "AT_EMPTY_PATH")]
ACCESS = [(4, "R_OK"), (2, "W_OK"), (1, "X_OK")]
CLONE = [
    (0x100, "CLONE_VM"), (0x200, "CLONE_FS"), (0x400, "CLONE_FILES"), (0x800, "CLONE_SIGHAND"),
    (0x1000, "CLONE_PIDFD"), (0x2000, "CLONE_PTRACE"), (0x4000, "CLONE_VFORK"),
    (0x8000, "CLONE_PARENT"), (0x10000, "CLONE_THREAD"), (0x20000, "CLONE_NEWNS"),
    (0x40000, "CLONE_SYSVSEM"), (0x80000, "CLONE_SETTLS"), (0x100000, "CLONE_PARENT_SETTID"),
    (0x200000, "CLONE_CHILD_CLEARTID"), (0x800000, "CLONE_UNTRACED"),
    (0x1000000, "CLONE_CHILD_SETTID"), (0x2000000, "CLONE_NEWCGROUP"),
    (0x4000000, "CLONE_NEWUTS"), (0x8000000, "CLONE_NEWIPC"), (0x10000000, "CLONE_NEWUSER"),
    (0x20000000, "CLONE_NEWPID"), (0x40000000, "CLONE_NEWNET"), (0x80000000, "CLONE_IO"),
]
WAIT = [(1, "WNOHANG"), (2, "WUNTRACED"), (4, "WEXITED"), (8, "WCONTINUED"),
        (0x01000000, "WNOWAIT"), (0x20000000, "__WNOTHREAD"), (0x40000000, "__WALL"),
        (0x80000000, "__WCLONE")]
GRND = [(1, "GRND_NONBLOCK"), (2, "GRND_RANDOM"), (4, "GRND_INSECURE")]
MFD = [(1, "MFD_CLOEXEC"), (2, "MFD_ALLOW_SEALING"), (4, "MFD_HUGETLB"),
       (8, "MFD_NOEXEC_SEAL"), (0x10, "MFD_EXEC")]
SEALS = [(1, "F_SEAL_SEAL"), (2, "F_SEAL_SHRINK"), (4, "F_SEAL_GROW"), (8, "F_SEAL_WRITE"),
         (0x10, "F_SEAL_FUTURE_WRITE"), (0x20, "F_SEAL_EXEC")]
SOCK_TYPE_FLAGS = [(0o4000, "SOCK_NONBLOCK"), (0o2000000, "SOCK_CLOEXEC")]
_SOCK_TYPES = {1: "SOCK_STREAM", 2: "SOCK_DGRAM", 3: "SOCK_RAW", 4: "SOCK_RDM",
               5: "SOCK_SEQPACKET", 6: "SOCK_DCCP", 10: "SOCK_PACKET"}
_AF = {0: "AF_UNSPEC", 1: "AF_UNIX", 2: "AF_INET", 10: "AF_INET6", 16: "AF_NETLINK",
       17: "AF_PACKET"}
_WHENCE = {0: "SEEK_SET", 1: "SEEK_CUR", 2: "SEEK_END", 3: "SEEK_DATA", 4: "SEEK_HOLE"}
_CLOCKS = {0: "CLOCK_REALTIME", 1: "CLOCK_MONOTONIC", 2: "CLOCK_PROCESS_CPUTIME_ID",
           3: "CLOCK_THREAD_CPUTIME_ID", 4: "CLOCK_MONOTONIC_RAW", 5: "CLOCK_REALTIME_COARSE",
           6: "CLOCK_MONOTONIC_COARSE", 7: "CLOCK_BOOTTIME", 8: "CLOCK_REALTIME_ALARM",
           9: "CLOCK_BOOTTIME_ALARM", 11: "CLOCK_TAI"}
_FCNTL = {0: "F_DUPFD", 1: "F_GETFD", 2: "F_SETFD", 3: "F_GETFL", 4: "F_SETFL", 5: "F_GETLK",
          6: "F_SETLK", 7: "F_SETLKW", 8: "F_SETOWN", 9: "F_GETOWN", 10: "F_SETSIG",
          11: "F_GETSIG", 15: "F_SETOWN_EX", 16: "F_GETOWN_EX", 1024: "F_SETLEASE",
          1025: "F_GETLEASE", 1030: "F_DUPFD_CLOEXEC", 1031: "F_SETPIPE_SZ",
          1032: "F_GETPIPE_SZ", 1033: "F_ADD_SEALS", 1034: "F_GET_SEALS", 36: "F_OFD_GETLK",
          37: "F_OFD_SETLK", 38: "F_OFD_SETLKW"}
_SIGHOW = {0: "SIG_BLOCK", 1: "SIG_UNBLOCK", 2: "SIG_SETMASK"}
_RLIMITS = {0: "RLIMIT_CPU", 1: "RLIMIT_FSIZE", 2: "RLIMIT_DATA", 3: "RLIMIT_STACK",
            4: "RLIMIT_CORE", 5: "RLIMIT_RSS", 6: "RLIMIT_NPROC", 7: "RLIMIT_NOFILE",
            8: "RLIMIT_MEMLOCK", 9: "RLIMIT_AS", 10: "RLIMIT_LOCKS", 11: "RLIMIT_SIGPENDING",
            12: "RLIMIT_MSGQUEUE", 13: "RLIMIT_NICE", 14: "RLIMIT_RTPRIO", 15: "RLIMIT_RTTIME"}
_ARCH_PRCTL = {0x1001: "ARCH_SET_GS", 0x1002: "ARCH_SET_FS", 0x1003: "ARCH_GET_FS",
               0x1004: "ARCH_GET_GS", 0x1011: "ARCH_GET_CPUID", 0x1012: "ARCH_SET_CPUID"}
_FUTEX_OPS = {0: "FUTEX_WAIT", 1: "FUTEX_WAKE", 2: "FUTEX_FD", 3: "FUTEX_REQUEUE",
              4: "FUTEX_CMP_REQUEUE", 5: "FUTEX_WAKE_OP", 6: "FUTEX_LOCK_PI",
              7: "FUTEX_UNLOCK_PI", 8: "FUTEX_TRYLOCK_PI", 9: "FUTEX_WAIT_BITSET",
              10: "FUTEX_WAKE_BITSET", 11: "FUTEX_WAIT_REQUEUE_PI", 12: "FUTEX_CMP_REQUEUE_PI",
              13: "FUTEX_LOCK_PI2"}
ERRNO_TEXT = {  # errno names strace prefers over the aliases the table keeps
    35: "EDEADLK", 95: "EOPNOTSUPP", 512: "ERESTARTSYS", 513: "ERESTARTNOINTR",
    514: "ERESTARTNOHAND", 515: "ENOIOCTLCMD", 516: "ERESTART_RESTARTBLOCK",
}
_RESTART_TEXT = {512: "To be restarted if SA_RESTART is set", 513: "To be restarted",
                 514: "To be restarted if no handler", 516: "Interrupted by signal"}


def _oflags(v: int) -> str:
    v &= 0xFFFFFFFF
    tmpfile = v & 0o20200000 == 0o20200000
    acc = _O_ACCMODE[v & 3]
    rest = _flags(v & ~3, O_FLAGS, zero="")
    # O_TMPFILE includes the O_DIRECTORY bit: print it once, as O_TMPFILE.
    if tmpfile:
        rest = rest.replace("|O_DIRECTORY", "")
    return f"{acc}|{rest}" if rest else acc


def _mapflags(v: int) -> str:
    v &= 0xFFFFFFFF
    kind = _MAP_TYPE.get(v & 3, hex(v & 3))
    rest = _flags(v & ~3, MAP, zero="")
    return f"{kind}|{rest}" if rest else kind


def _enum(table: dict[int, str]) -> Callable[[int], str]:
    def fmt(v: int) -> str:
        v = _s32(v)
        return table.get(v, str(v))

    return fmt


def _signal(v: int) -> str:
    v = _s32(v)
    try:
        return signal.Signals(v).name
    except ValueError:
        return f"SIGRT_{v - signal.SIGRTMIN}" if signal.SIGRTMIN < v <= signal.SIGRTMAX else str(v)


def _dirfd(v: int) -> str:
    v = _s32(v)
    return "AT_FDCWD" if v == -100 else str(v)


def _socktype(v: int) -> str:
    v &= 0xFFFFFFFF
    kind = _SOCK_TYPES.get(v & 0xF, str(v & 0xF))
    rest = _flags(v & ~0xF, SOCK_TYPE_FLAGS, zero="")
    return f"{kind}|{rest}" if rest else kind


def _mfdflags(v: int) -> str:
    """memfd_create's flags as strace shows them: the huge page size as `21<<MFD_HUGE_SHIFT`."""
    v &= 0xFFFFFFFF
    huge = v >> 26 & 0x3F
    rest = _flags(v & ~(0x3F << 26), MFD, zero="")
    if not huge:
        return rest or "0"
    return f"{rest}|{huge}<<MFD_HUGE_SHIFT" if rest else f"{huge}<<MFD_HUGE_SHIFT"


def _futex_op(v: int) -> str:
    v &= 0xFFFFFFFF
    name = _FUTEX_OPS.get(v & 0x7F, str(v & 0x7F))
    if v & 0x80:
        name += "_PRIVATE"
    if v & 0x100:
        name = "FUTEX_CLOCK_REALTIME|" + name
    return name


# Kinds that need only the value.
_SCALAR: dict[str, Callable[[int], str]] = {
    "fd": lambda v: str(_s32(v)),
    "int": lambda v: str(_s32(v)),
    "uint": lambda v: str(v & 0xFFFFFFFF),
    "long": lambda v: str(_s64(v)),
    "size": lambda v: str(v & _M64),
    "ptr": _ptr,
    "hex": lambda v: hex(v & _M64),
    "off": lambda v: hex(v & _M64) if v else "0",
    "mode": lambda v: f"0{v & 0o7777:o}" if v & 0o7777 else "000",
    "dirfd": _dirfd,
    "oflags": _oflags,
    "prot": lambda v: _flags(v & 0xFFFFFFFF, PROT, zero="PROT_NONE"),
    "mapflags": _mapflags,
    "atflags": lambda v: _flags(v & 0xFFFFFFFF, AT),
    "unlinkflags": lambda v: _flags(v & 0xFFFFFFFF, AT_UNLINK),
    "accessflags": lambda v: _flags(v & 0xFFFFFFFF, AT_ACCESS),
    "amode": lambda v: _flags(v & 0xFFFFFFFF, ACCESS, zero="F_OK"),
    "cloneflags": lambda v: _flags(v & ~0xFF & _M64, CLONE) + (
        f"|{_signal(v & 0xFF)}" if v & 0xFF else ""),
    "waitflags": lambda v: _flags(v & 0xFFFFFFFF, WAIT),
    "grnd": lambda v: _flags(v & 0xFFFFFFFF, GRND),
    "mfdflags": _mfdflags,
    "seals": lambda v: _flags(v & 0xFFFFFFFF, SEALS),
    "whence": _enum(_WHENCE),
    "clockid": _enum(_CLOCKS),
    "fcntlcmd": _enum(_FCNTL),
    "sighow": _enum(_SIGHOW),
    "resource": _enum(_RLIMITS),
    "archcode": _enum(_ARCH_PRCTL),
    "family": _enum(_AF),
    "socktype": _socktype,
    "signal": _signal,
    "futexop": _futex_op,
}


def _argv(mem: Memory, addr: int) -> str:
    if addr == 0:
        return "NULL"
    items = []
    for i in range(ARGV_LIMIT + 1):
        try:
            p = mem.read_u64(addr + 8 * i)
        except SysError:
            return _ptr(addr) if i == 0 else "[" + ", ".join(items) + ", ...]"
        if p == 0:
            return "[" + ", ".join(items) + "]"
        if i == ARGV_LIMIT:
            items.append("...")
            break
        items.append(_cstr(mem, p, STRING_LIMIT))
    return "[" + ", ".join(items) + "]"


def _envp(mem: Memory, addr: int) -> str:
    """strace's short form of an environment: `0x7ffc… /* 12 vars */`."""
    if addr == 0:
        return "NULL"
    n = 0
    while n < 4096:  # an environment of more entries is shown as unreadable, not walked
        if mem.read_u64(addr + 8 * n) == 0:
            return f"{_ptr(addr)} /* {n} vars */"
        n += 1
    return _ptr(addr)


# One row per syscall: the kinds of its arguments. "path" reads a C string (PATH_MAX),
# "str" one cut at STRING_LIMIT, "buf" the next argument's count of bytes, "argv" an array
# of strings, "envp" only its length.
FORMATS: dict[str, tuple[str, ...]] = {
    "read": ("fd", "ptr", "size"),
    "write": ("fd", "buf", "size"),
    "open": ("path", "oflags", "mode?"),
    "close": ("fd",),
    "stat": ("path", "ptr"),
    "fstat": ("fd", "ptr"),
    "lstat": ("path", "ptr"),
    "poll": ("ptr", "uint", "int"),
    "lseek": ("fd", "long", "whence"),
    "mmap": ("ptr", "size", "prot", "mapflags", "fd", "off"),
    "mprotect": ("ptr", "size", "prot"),
    "munmap": ("ptr", "size"),
    "brk": ("ptr",),
    "rt_sigaction": ("signal", "ptr", "ptr", "size"),
    "rt_sigprocmask": ("sighow", "ptr", "ptr", "size"),
    "rt_sigreturn": (),
    "ioctl": ("fd", "hex", "hex"),
    "pread64": ("fd", "ptr", "size", "long"),
    "pwrite64": ("fd", "buf", "size", "long"),
    "readv": ("fd", "ptr", "int"),
    "writev": ("fd", "ptr", "int"),
    "access": ("path", "amode"),
    "pipe": ("ptr",),
    "select": ("int", "ptr", "ptr", "ptr", "ptr"),
    "sched_yield": (),
    "mremap": ("ptr", "size", "size", "hex", "ptr"),
    "madvise": ("ptr", "size", "int"),
    "dup": ("fd",),
    "dup2": ("fd", "fd"),
    "pause": (),
    "nanosleep": ("ptr", "ptr"),
    "getpid": (),
    "sendfile": ("fd", "fd", "ptr", "size"),
    "socket": ("family", "socktype", "int"),
    "connect": ("fd", "ptr", "int"),
    "accept": ("fd", "ptr", "ptr"),
    "sendto": ("fd", "buf", "size", "hex", "ptr", "int"),
    "recvfrom": ("fd", "ptr", "size", "hex", "ptr", "ptr"),
    "sendmsg": ("fd", "ptr", "hex"),
    "recvmsg": ("fd", "ptr", "hex"),
    "shutdown": ("fd", "int"),
    "bind": ("fd", "ptr", "int"),
    "listen": ("fd", "int"),
    "getsockname": ("fd", "ptr", "ptr"),
    "getpeername": ("fd", "ptr", "ptr"),
    "socketpair": ("family", "socktype", "int", "ptr"),
    "setsockopt": ("fd", "int", "int", "ptr", "int"),
    "getsockopt": ("fd", "int", "int", "ptr", "ptr"),
    "clone": ("cloneflags", "ptr", "ptr", "ptr", "hex"),
    "fork": (),
    "vfork": (),
    "execve": ("path", "argv", "envp"),
    "exit": ("int",),
    "wait4": ("int", "ptr", "waitflags", "ptr"),
    "kill": ("int", "signal"),
    "uname": ("ptr",),
    "fcntl": ("fd", "fcntlcmd", "hex"),
    "flock": ("fd", "int"),
    "fsync": ("fd",),
    "fdatasync": ("fd",),
    "truncate": ("path", "long"),
    "ftruncate": ("fd", "long"),
    "getdents": ("fd", "ptr", "uint"),
    "getcwd": ("ptr", "size"),
    "chdir": ("path",),
    "fchdir": ("fd",),
    "rename": ("path", "path"),
    "mkdir": ("path", "mode"),
    "rmdir": ("path",),
    "creat": ("path", "mode"),
    "link": ("path", "path"),
    "unlink": ("path",),
    "symlink": ("path", "path"),
    "readlink": ("path", "ptr", "size"),
    "chmod": ("path", "mode"),
    "fchmod": ("fd", "mode"),
    "chown": ("path", "int", "int"),
    "fchown": ("fd", "int", "int"),
    "lchown": ("path", "int", "int"),
    "umask": ("mode",),
    "gettimeofday": ("ptr", "ptr"),
    "getrlimit": ("resource", "ptr"),
    "getrusage": ("int", "ptr"),
    "sysinfo": ("ptr",),
    "getuid": (),
    "getgid": (),
    "setuid": ("int",),
    "setgid": ("int",),
    "geteuid": (),
    "getegid": (),
    "setpgid": ("int", "int"),
    "getppid": (),
    "getpgrp": (),
    "setsid": (),
    "getgroups": ("int", "ptr"),
    "setgroups": ("int", "ptr"),
    "getresuid": ("ptr", "ptr", "ptr"),
    "getresgid": ("ptr", "ptr", "ptr"),
    "getpgid": ("int",),
    "getsid": ("int",),
    "rt_sigsuspend": ("ptr", "size"),
    "sigaltstack": ("ptr", "ptr"),
    "statfs": ("path", "ptr"),
    "fstatfs": ("fd", "ptr"),
    "prctl": ("int", "hex", "hex", "hex", "hex"),
    "arch_prctl": ("archcode", "hex"),
    "setrlimit": ("resource", "ptr"),
    "chroot": ("path",),
    "sync": (),
    "mount": ("str", "path", "str", "hex", "ptr"),
    "umount2": ("path", "hex"),
    "sethostname": ("buf", "size"),
    "gettid": (),
    "tkill": ("int", "signal"),
    "time": ("ptr",),
    "futex": ("ptr", "futexop", "int", "ptr", "ptr", "int"),
    "sched_getaffinity": ("int", "size", "ptr"),
    "getdents64": ("fd", "ptr", "uint"),
    "set_tid_address": ("ptr",),
    "fadvise64": ("fd", "long", "long", "int"),
    "clock_gettime": ("clockid", "ptr"),
    "clock_getres": ("clockid", "ptr"),
    "clock_nanosleep": ("clockid", "int", "ptr", "ptr"),
    "exit_group": ("int",),
    "epoll_wait": ("fd", "ptr", "int", "int"),
    "epoll_ctl": ("fd", "int", "fd", "ptr"),
    "tgkill": ("int", "int", "signal"),
    "waitid": ("int", "int", "ptr", "waitflags", "ptr"),
    "openat": ("dirfd", "path", "oflags", "mode?"),
    "mkdirat": ("dirfd", "path", "mode"),
    "fchownat": ("dirfd", "path", "int", "int", "atflags"),
    "newfstatat": ("dirfd", "path", "ptr", "atflags"),
    "unlinkat": ("dirfd", "path", "unlinkflags"),
    "renameat": ("dirfd", "path", "dirfd", "path"),
    "linkat": ("dirfd", "path", "dirfd", "path", "atflags"),
    "symlinkat": ("path", "dirfd", "path"),
    "readlinkat": ("dirfd", "path", "ptr", "size"),
    "fchmodat": ("dirfd", "path", "mode"),
    "faccessat": ("dirfd", "path", "amode"),
    "pselect6": ("int", "ptr", "ptr", "ptr", "ptr", "ptr"),
    "ppoll": ("ptr", "uint", "ptr", "ptr", "size"),
    "set_robust_list": ("ptr", "size"),
    "utimensat": ("dirfd", "path", "ptr", "atflags"),
    "epoll_pwait": ("fd", "ptr", "int", "int", "ptr", "size"),
    "eventfd2": ("uint", "hex"),
    "epoll_create1": ("hex",),
    "dup3": ("fd", "fd", "oflags"),
    "pipe2": ("ptr", "oflags"),
    "accept4": ("fd", "ptr", "ptr", "hex"),
    "prlimit64": ("int", "resource", "ptr", "ptr"),
    "renameat2": ("dirfd", "path", "dirfd", "path", "hex"),
    "getrandom": ("ptr", "size", "grnd"),
    "memfd_create": ("str", "mfdflags"),
    "execveat": ("dirfd", "path", "argv", "envp", "atflags"),
    "statx": ("dirfd", "path", "atflags", "hex", "ptr"),
    "rseq": ("ptr", "hex", "int", "hex"),
    "clone3": ("ptr", "size"),
    "close_range": ("uint", "uint", "hex"),
    "openat2": ("dirfd", "path", "ptr", "size"),
    "faccessat2": ("dirfd", "path", "amode", "accessflags"),
    "fchmodat2": ("dirfd", "path", "mode", "atflags"),
}
# Calls whose result is an address, shown in hex like strace does.
POINTER_RESULTS = frozenset({"mmap", "mremap", "brk", "shmat"})


def _arg(kind: str, i: int, args: Sequence[int], mem: Memory) -> str:
    v = args[i] if i < len(args) else 0
    try:
        if kind == "path":
            return _cstr(mem, v, PATH_MAX - 1)
        if kind == "str":
            return _cstr(mem, v, STRING_LIMIT)
        if kind == "buf":
            n = (args[i + 1] if i + 1 < len(args) else 0) & _M64
            if v == 0:
                return "NULL"
            data = mem.read(v, min(n, STRING_LIMIT))
            return quote(data, truncated=n > STRING_LIMIT)
        if kind == "argv":
            return _argv(mem, v)
        if kind == "envp":
            return _envp(mem, v)
    except SysError:
        return _ptr(v)  # unreadable memory: show where it pointed
    return _SCALAR[kind](v)


def format_call(name: str, args: Sequence[int], mem: Memory) -> str:
    """`name(arg, ...)` with arguments decoded per FORMATS; unknown calls show six hex args."""
    kinds = FORMATS.get(name)
    if kinds is None:
        return f"{name}({', '.join(hex(a & _M64) for a in (list(args) + [0] * 6)[:6])})"
    shown = []
    for i, kind in enumerate(kinds):
        if kind == "mode?":
            # open/openat: the mode only matters with O_CREAT or O_TMPFILE, as strace shows it.
            flags = args[i - 1] if i - 1 < len(args) else 0
            if not flags & 0o100 and flags & 0o20200000 != 0o20200000:
                continue
            kind = "mode"
        elif name == "fcntl" and i == 2:  # the argument as the command has it (strace)
            cmd = args[1] & 0xFFFFFFFF if len(args) > 1 else 0
            if cmd == 1034:  # F_GET_SEALS takes none
                continue
            kind = "seals" if cmd == 1033 else kind
        shown.append(_arg(kind, i, args, mem))
    return f"{name}({', '.join(shown)})"


def errno_text(errno: int) -> str:
    """`ENOENT (No such file or directory)`."""
    name = ERRNO_TEXT.get(errno) or ERRNO_NAMES.get(errno) or f"E{errno}"
    msg = _RESTART_TEXT.get(errno) or os.strerror(errno)
    return f"{name} ({msg})"


def format_result(name: str, ret: int) -> str:
    """The result as strace shows it: `3`, `0x7f…` for addresses, `-1 ENOENT (…)` for errors."""
    ret = _s64(ret)
    if ret == INTERRUPTED:  # ended by a signal under the call's mask (sigmask.py)
        ret = -514
    if -4096 < ret < 0:
        err = -ret
        return f"? {errno_text(err)}" if 512 <= err <= 516 else f"-1 {errno_text(err)}"
    if name in POINTER_RESULTS:
        return hex(ret & _M64)
    return str(ret)


def format_line(name: str, args: Sequence[int], mem: Memory, ret: int) -> str:
    """One line per completed call: `openat(AT_FDCWD, "/x", O_RDONLY) = -1 ENOENT (…)`."""
    return f"{format_call(name, args, mem)} = {format_result(name, ret)}"
