"""The syscall table: x86-64 number → name, handler, support status (as gVisor's linux64.go).

One line per implemented syscall, in numeric order. Handlers are named "module:function"
within sentry.syscalls and resolved once at start-up (tests check every name resolves).
Calls the host runs directly are not here: they are the allow-list in
sentry/platform/allowlist.py, each with the reason it is safe. Any number in neither place
returns ENOSYS and is logged once.

Lanes (seccomp platform): NOTIFY calls are answered through SECCOMP_RET_USER_NOTIF with a
return value and memory copies; TRACE calls stop the task under ptrace because they need
its registers or injected host syscalls (execve, mmap of a file, brk …).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from sentry.record import dataclass

from sentry.abi.sysno import NAMES

SUPPORTED = "supported"
PARTIAL = "partial"

NOTIFY = "notify"
TRACE = "trace"


@dataclass(frozen=True)
class Entry:
    name: str
    handler: str  # "module:function" in sentry.syscalls
    status: str = SUPPORTED
    note: str = ""
    lane: str = NOTIFY


def S(name: str, handler: str, lane: str = NOTIFY) -> Entry:
    """A fully supported call."""
    return Entry(name, handler, SUPPORTED, "", lane)


def P(name: str, handler: str, note: str, lane: str = NOTIFY) -> Entry:
    """A partially supported call; `note` says what differs from Linux."""
    return Entry(name, handler, PARTIAL, note, lane)


TABLE: dict[int, Entry] = {
    0: S("read", "sys_read_write:sys_read"),
    1: S("write", "sys_read_write:sys_write"),
    2: S("open", "sys_file:sys_open"),
    3: S("close", "sys_file:sys_close"),
    4: S("stat", "sys_stat:sys_stat"),
    5: S("fstat", "sys_stat:sys_fstat"),
    6: S("lstat", "sys_stat:sys_lstat"),
    7: S("poll", "sys_poll:sys_poll"),
    8: S("lseek", "sys_read_write:sys_lseek"),
    9: S("mmap", "sys_mmap:sys_mmap", TRACE),
    12: S("brk", "sys_mmap:sys_brk", TRACE),
    13: P("rt_sigaction", "sys_signal:sys_rt_sigaction",
          "SIGCHLD's, and numbers the kernel may truncate to it: the Sentry notes SIG_IGN and "
          "SA_NOCLDWAIT; the host runs every call and keeps the dispositions"),
    16: P("ioctl", "sys_ioctl:sys_ioctl",
          "tty requests, FIONREAD, FIONBIO, FIOCLEX; sockets: SIOCOUTQ, SIOCGIF*"),
    17: S("pread64", "sys_read_write:sys_pread64"),
    18: S("pwrite64", "sys_read_write:sys_pwrite64"),
    19: S("readv", "sys_read_write:sys_readv"),
    20: S("writev", "sys_read_write:sys_writev"),
    21: S("access", "sys_stat:sys_access"),
    22: S("pipe", "sys_pipe:sys_pipe"),
    23: S("select", "sys_poll:sys_select"),
    29: P("shmget", "sys_shm:sys_shmget", "SHM_HUGETLB makes an ordinary segment"),
    30: S("shmat", "sys_shm:sys_shmat", TRACE),
    31: P("shmctl", "sys_shm:sys_shmctl", "SHM_LOCK sets the flag; the memory may still swap"),
    32: S("dup", "sys_file:sys_dup"),
    33: S("dup2", "sys_file:sys_dup2"),
    39: S("getpid", "sys_thread:sys_getpid"),
    40: P("sendfile", "sys_read_write:sys_sendfile", "at most 64 MiB per call (a short count)"),
    41: P("socket", "sys_socket:sys_socket",
          "AF_UNIX, AF_INET/6 TCP+UDP, AF_NETLINK ROUTE; SOCK_RAW: EPERM"),
    42: S("connect", "sys_socket:sys_connect"),
    43: S("accept", "sys_socket:sys_accept"),
    44: S("sendto", "sys_socket_msg:sys_sendto"),
    45: S("recvfrom", "sys_socket_msg:sys_recvfrom"),
    46: P("sendmsg", "sys_socket_msg:sys_sendmsg", "MSG_OOB on unix: EOPNOTSUPP"),
    47: P("recvmsg", "sys_socket_msg:sys_recvmsg",
          "no IP-level cmsgs; MSG_OOB on unix: EOPNOTSUPP"),
    48: S("shutdown", "sys_socket:sys_shutdown"),
    49: S("bind", "sys_socket:sys_bind"),
    50: S("listen", "sys_socket:sys_listen"),
    51: S("getsockname", "sys_socket:sys_getsockname"),
    52: S("getpeername", "sys_socket:sys_getpeername"),
    53: S("socketpair", "sys_socket:sys_socketpair"),
    54: P("setsockopt", "sys_socket:sys_setsockopt", "common options; others ENOPROTOOPT"),
    55: P("getsockopt", "sys_socket:sys_getsockopt", "common options; TCP_INFO: state only"),
    56: P("clone", "sys_process:sys_clone", "namespace flags get EPERM", TRACE),
    57: S("fork", "sys_process:sys_fork", TRACE),
    58: S("vfork", "sys_process:sys_vfork", TRACE),
    59: P("execve", "sys_process:sys_execve",
           "argv+envp within Linux's limit; arguments that need more stack than the host "
           "task's RLIMIT_STACK (lower than the guest's view only after prlimit64 on another "
           "process or a raised hard limit: sys_rlimit) kill the task", TRACE),
    61: P("wait4", "sys_process:sys_wait4", "rusage only of reaped host children", TRACE),
    62: S("kill", "sys_signal:sys_kill"),
    63: S("uname", "sys_misc:sys_uname"),
    64: S("semget", "sys_sem:sys_semget"),
    65: S("semop", "sys_sem:sys_semop"),
    66: S("semctl", "sys_sem:sys_semctl"),
    67: P("shmdt", "sys_shm:sys_shmdt", "a segment munmap()ed directly still counts as "
           "attached until its address space goes", TRACE),
    68: S("msgget", "sys_msg:sys_msgget"),
    69: S("msgsnd", "sys_msg:sys_msgsnd"),
    70: S("msgrcv", "sys_msg:sys_msgrcv"),
    71: S("msgctl", "sys_msg:sys_msgctl"),
    72: P("fcntl", "sys_file:sys_fcntl", "O_ASYNC on host stdio and hostinet: no signal"),
    73: S("flock", "sys_file:sys_flock"),
    74: S("fsync", "sys_file:sys_fsync"),
    75: S("fdatasync", "sys_file:sys_fdatasync"),
    76: S("truncate", "sys_stat:sys_truncate"),
    77: S("ftruncate", "sys_stat:sys_ftruncate"),
    78: S("getdents", "sys_file:sys_getdents"),
    79: S("getcwd", "sys_file:sys_getcwd"),
    80: S("chdir", "sys_file:sys_chdir"),
    81: S("fchdir", "sys_file:sys_fchdir"),
    82: P("rename", "sys_file:sys_rename", "host-layer dirs: EXDEV (overlayfs)"),
    83: S("mkdir", "sys_file:sys_mkdir"),
    84: S("rmdir", "sys_file:sys_rmdir"),
    85: S("creat", "sys_file:sys_creat"),
    86: S("link", "sys_file:sys_link"),
    87: S("unlink", "sys_file:sys_unlink"),
    88: S("symlink", "sys_file:sys_symlink"),
    89: S("readlink", "sys_stat:sys_readlink"),
    90: S("chmod", "sys_stat:sys_chmod"),
    91: S("fchmod", "sys_stat:sys_fchmod"),
    92: S("chown", "sys_stat:sys_chown"),
    93: S("fchown", "sys_stat:sys_fchown"),
    94: S("lchown", "sys_stat:sys_lchown"),
    95: S("umask", "sys_file:sys_umask"),
    97: S("getrlimit", "sys_rlimit:sys_getrlimit"),
    99: P("sysinfo", "sys_misc:sys_sysinfo", "loads are 0; memory figures are the host's"),
    102: S("getuid", "sys_identity:sys_getuid"),
    104: S("getgid", "sys_identity:sys_getgid"),
    105: S("setuid", "sys_identity:sys_setuid"),
    106: S("setgid", "sys_identity:sys_setgid"),
    107: S("geteuid", "sys_identity:sys_geteuid"),
    108: S("getegid", "sys_identity:sys_getegid"),
    109: S("setpgid", "sys_thread:sys_setpgid"),
    110: S("getppid", "sys_thread:sys_getppid"),
    111: S("getpgrp", "sys_thread:sys_getpgrp"),
    112: S("setsid", "sys_thread:sys_setsid"),
    113: S("setreuid", "sys_identity:sys_setreuid"),
    114: S("setregid", "sys_identity:sys_setregid"),
    115: S("getgroups", "sys_identity:sys_getgroups"),
    116: S("setgroups", "sys_identity:sys_setgroups"),
    117: S("setresuid", "sys_identity:sys_setresuid"),
    118: S("getresuid", "sys_identity:sys_getresuid"),
    119: S("setresgid", "sys_identity:sys_setresgid"),
    120: S("getresgid", "sys_identity:sys_getresgid"),
    121: S("getpgid", "sys_thread:sys_getpgid"),
    122: S("setfsuid", "sys_identity:sys_setfsuid"),
    123: S("setfsgid", "sys_identity:sys_setfsgid"),
    124: S("getsid", "sys_thread:sys_getsid"),
    125: S("capget", "sys_capability:sys_capget"),
    126: S("capset", "sys_capability:sys_capset"),
    128: S("rt_sigtimedwait", "sys_signal:sys_rt_sigtimedwait", TRACE),
    129: S("rt_sigqueueinfo", "sys_signal:sys_rt_sigqueueinfo"),
    132: S("utime", "sys_stat:sys_utime"),
    133: S("mknod", "sys_file:sys_mknod"),
    137: S("statfs", "sys_stat:sys_statfs"),
    138: S("fstatfs", "sys_stat:sys_fstatfs"),
    140: S("getpriority", "sys_sched:sys_getpriority"),
    141: P("setpriority", "sys_sched:sys_setpriority",
           "the host thread gets max(nice, 0): negative values stay the guest's view"),
    142: P("sched_setparam", "sys_sched:sys_sched_setparam", "the guest's view only"),
    143: S("sched_getparam", "sys_sched:sys_sched_getparam"),
    144: P("sched_setscheduler", "sys_sched:sys_sched_setscheduler",
           "the guest's view only: the host runs every task under SCHED_OTHER"),
    145: S("sched_getscheduler", "sys_sched:sys_sched_getscheduler"),
    146: S("sched_get_priority_max", "sys_sched:sys_sched_get_priority_max"),
    147: S("sched_get_priority_min", "sys_sched:sys_sched_get_priority_min"),
    148: S("sched_rr_get_interval", "sys_sched:sys_sched_rr_get_interval"),
    157: P("prctl", "sys_prctl:sys_prctl", "common options only; others EINVAL"),
    160: S("setrlimit", "sys_rlimit:sys_setrlimit"),
    161: S("chroot", "sys_file:sys_chroot"),
    162: S("sync", "sys_file:sys_sync"),
    165: P("mount", "sys_mount:sys_mount",
           "tmpfs, proc, sysfs, devpts, mqueue, bind, remount, move; propagation types change "
           "nothing; overlay ENODEV"),
    166: P("umount2", "sys_mount:sys_umount2", "MNT_EXPIRE ignores use between its calls"),
    170: S("sethostname", "sys_misc:sys_sethostname"),
    171: S("setdomainname", "sys_misc:sys_setdomainname"),
    186: S("gettid", "sys_thread:sys_gettid"),
    187: S("readahead", "sys_advice:sys_readahead"),
    188: S("setxattr", "sys_xattr:sys_setxattr"),
    189: S("lsetxattr", "sys_xattr:sys_lsetxattr"),
    190: S("fsetxattr", "sys_xattr:sys_fsetxattr"),
    191: P("getxattr", "sys_xattr:sys_getxattr", "no POSIX ACLs"),
    192: P("lgetxattr", "sys_xattr:sys_lgetxattr", "no POSIX ACLs"),
    193: P("fgetxattr", "sys_xattr:sys_fgetxattr", "no POSIX ACLs"),
    194: S("listxattr", "sys_xattr:sys_listxattr"),
    195: S("llistxattr", "sys_xattr:sys_llistxattr"),
    196: S("flistxattr", "sys_xattr:sys_flistxattr"),
    197: S("removexattr", "sys_xattr:sys_removexattr"),
    198: S("lremovexattr", "sys_xattr:sys_lremovexattr"),
    199: S("fremovexattr", "sys_xattr:sys_fremovexattr"),
    200: S("tkill", "sys_signal:sys_tkill"),
    203: S("sched_setaffinity", "sys_sched:sys_sched_setaffinity"),
    204: S("sched_getaffinity", "sys_sched:sys_sched_getaffinity"),
    206: S("io_setup", "sys_aio:sys_io_setup", TRACE),
    207: S("io_destroy", "sys_aio:sys_io_destroy", TRACE),
    208: S("io_getevents", "sys_aio:sys_io_getevents"),
    209: P("io_submit", "sys_aio:sys_io_submit",
           "POLL on host stdio and hostinet: EINVAL; a signal in a read fails the call"),
    210: S("io_cancel", "sys_aio:sys_io_cancel"),
    213: S("epoll_create", "sys_epoll:sys_epoll_create"),
    217: S("getdents64", "sys_file:sys_getdents64"),
    220: S("semtimedop", "sys_sem:sys_semtimedop"),
    221: S("fadvise64", "sys_advice:sys_fadvise64"),
    222: P("timer_create", "sys_timer:sys_timer_create",
           "alarm clocks: EINVAL; CPU-time timers fire up to 2 ms late"),
    223: S("timer_settime", "sys_timer:sys_timer_settime"),
    224: S("timer_gettime", "sys_timer:sys_timer_gettime"),
    225: P("timer_getoverrun", "sys_timer:sys_timer_getoverrun", "counted up to the send"),
    226: S("timer_delete", "sys_timer:sys_timer_delete"),
    228: S("clock_gettime", "sys_time:sys_clock_gettime"),
    229: S("clock_getres", "sys_time:sys_clock_getres"),
    230: P("clock_nanosleep", "sys_time:sys_clock_nanosleep",
           "another process's CPU clock: up to 2 ms late; a bad rem at EINTR unreported"),
    232: S("epoll_wait", "sys_epoll:sys_epoll_wait"),
    233: S("epoll_ctl", "sys_epoll:sys_epoll_ctl"),
    234: S("tgkill", "sys_signal:sys_tgkill"),
    235: S("utimes", "sys_stat:sys_utimes"),
    240: S("mq_open", "sys_mqueue:sys_mq_open"),
    241: S("mq_unlink", "sys_mqueue:sys_mq_unlink"),
    242: S("mq_timedsend", "sys_mqueue:sys_mq_timedsend"),
    243: S("mq_timedreceive", "sys_mqueue:sys_mq_timedreceive"),
    244: S("mq_notify", "sys_mqueue:sys_mq_notify"),
    245: S("mq_getsetattr", "sys_mqueue:sys_mq_getsetattr"),
    247: P("waitid", "sys_process:sys_waitid", "rusage as wait4", TRACE),
    251: P("ioprio_set", "sys_sched:sys_ioprio_set", "the guest's view only"),
    252: S("ioprio_get", "sys_sched:sys_ioprio_get"),
    253: P("inotify_init", "sys_inotify:sys_inotify_init", "changes made in the sandbox only"),
    254: P("inotify_add_watch", "sys_inotify:sys_inotify_add_watch",
           "changes made in the sandbox only"),
    255: S("inotify_rm_watch", "sys_inotify:sys_inotify_rm_watch"),
    257: S("openat", "sys_file:sys_openat"),
    258: S("mkdirat", "sys_file:sys_mkdirat"),
    259: S("mknodat", "sys_file:sys_mknodat"),
    260: S("fchownat", "sys_stat:sys_fchownat"),
    261: S("futimesat", "sys_stat:sys_futimesat"),
    262: S("newfstatat", "sys_stat:sys_newfstatat"),
    263: S("unlinkat", "sys_file:sys_unlinkat"),
    264: P("renameat", "sys_file:sys_renameat", "host-layer dirs: EXDEV (overlayfs)"),
    265: S("linkat", "sys_file:sys_linkat"),
    266: S("symlinkat", "sys_file:sys_symlinkat"),
    267: S("readlinkat", "sys_stat:sys_readlinkat"),
    268: S("fchmodat", "sys_stat:sys_fchmodat"),
    269: S("faccessat", "sys_stat:sys_faccessat"),
    270: S("pselect6", "sys_poll:sys_pselect6"),
    271: S("ppoll", "sys_poll:sys_ppoll"),
    272: P("unshare", "sys_process:sys_unshare",
           "namespace flags get EPERM, CLONE_NEWUSER too"),
    274: S("get_robust_list", "sys_thread:sys_get_robust_list"),
    275: S("splice", "sys_splice:sys_splice"),
    276: S("tee", "sys_splice:sys_tee"),
    277: S("sync_file_range", "sys_advice:sys_sync_file_range"),
    278: S("vmsplice", "sys_splice:sys_vmsplice"),
    280: S("utimensat", "sys_stat:sys_utimensat"),
    281: S("epoll_pwait", "sys_epoll:sys_epoll_pwait"),
    282: P("signalfd", "sys_signalfd:sys_signalfd", "readv: first buffer holds a record"),
    283: S("timerfd_create", "sys_timerfd:sys_timerfd_create"),
    284: S("eventfd", "sys_eventfd:sys_eventfd"),
    285: P("fallocate", "sys_stat:sys_fallocate", "tmpfs and rw binds; elsewhere EOPNOTSUPP"),
    286: P("timerfd_settime", "sys_timerfd:sys_timerfd_settime", "CANCEL_ON_SET never cancels"),
    287: S("timerfd_gettime", "sys_timerfd:sys_timerfd_gettime"),
    288: S("accept4", "sys_socket:sys_accept4"),
    289: P("signalfd4", "sys_signalfd:sys_signalfd4", "readv: first buffer holds a record"),
    290: S("eventfd2", "sys_eventfd:sys_eventfd2"),
    291: S("epoll_create1", "sys_epoll:sys_epoll_create1"),
    292: S("dup3", "sys_file:sys_dup3"),
    293: P("pipe2", "sys_pipe:sys_pipe2", "O_NOTIFICATION_PIPE: ENOPKG"),
    294: P("inotify_init1", "sys_inotify:sys_inotify_init1", "changes made in the sandbox only"),
    295: S("preadv", "sys_read_write:sys_preadv"),
    296: S("pwritev", "sys_read_write:sys_pwritev"),
    297: S("rt_tgsigqueueinfo", "sys_signal:sys_rt_tgsigqueueinfo"),
    299: P("recvmmsg", "sys_socket_msg:sys_recvmmsg", "timeout checked between messages"),
    302: S("prlimit64", "sys_rlimit:sys_prlimit64"),
    306: S("syncfs", "sys_file:sys_syncfs"),
    307: S("sendmmsg", "sys_socket_msg:sys_sendmmsg"),
    310: S("process_vm_readv", "sys_process_vm:sys_process_vm_readv"),
    311: S("process_vm_writev", "sys_process_vm:sys_process_vm_writev"),
    312: P("kcmp", "sys_kcmp:sys_kcmp",
           "KCMP_SIGHAND compares thread groups; KCMP_IO always equal; KCMP_EPOLL_TFD "
           "EOPNOTSUPP"),
    314: P("sched_setattr", "sys_sched:sys_sched_setattr",
           "the guest's view only; SCHED_DEADLINE without admission control; no uclamp; "
           "a fair task's custom slice (sched_runtime) is ignored"),
    315: S("sched_getattr", "sys_sched:sys_sched_getattr"),
    316: P("renameat2", "sys_file:sys_renameat2", "WHITEOUT: tmpfs only; host dirs: EXDEV"),
    319: P("memfd_create", "sys_memfd:sys_memfd_create",
           "MFD_HUGETLB as with no huge pages reserved (mmap ENOMEM); vm.memfd_noexec 0"),
    322: P("execveat", "sys_process:sys_execveat",
           "argv+envp within Linux's limit; arguments that need more stack than the host "
           "task's RLIMIT_STACK (lower than the guest's view only after prlimit64 on another "
           "process or a raised hard limit: sys_rlimit) kill the task", TRACE),
    326: P("copy_file_range", "sys_read_write:sys_copy_file_range",
           "regular files; at most 64 MiB per call (a short count)"),
    327: P("preadv2", "sys_read_write:sys_preadv2",
           "RWF_NOWAIT: regular files and pipes only; RWF_ATOMIC, RWF_DONTCACHE EOPNOTSUPP"),
    328: P("pwritev2", "sys_read_write:sys_pwritev2",
           "RWF_NOWAIT: regular files and pipes only; RWF_ATOMIC, RWF_DONTCACHE EOPNOTSUPP"),
    332: S("statx", "sys_stat:sys_statx"),
    333: P("io_pgetevents", "sys_aio:sys_io_pgetevents", "the signal mask is not applied"),
    424: S("pidfd_send_signal", "sys_pidfd:sys_pidfd_send_signal"),
    434: S("pidfd_open", "sys_pidfd:sys_pidfd_open"),
    435: P("clone3", "sys_process:sys_clone3",
           "namespace flags get EPERM; set_tid EPERM; CLONE_INTO_CGROUP EBADF; "
           "CLONE_CLEAR_SIGHAND leaves SIG_DFL signals their flags", TRACE),
    436: S("close_range", "sys_file:sys_close_range"),
    437: S("openat2", "sys_file:sys_openat2"),
    438: S("pidfd_getfd", "sys_pidfd:sys_pidfd_getfd"),
    439: S("faccessat2", "sys_stat:sys_faccessat2"),
    441: S("epoll_pwait2", "sys_epoll:sys_epoll_pwait2"),
    452: S("fchmodat2", "sys_stat:sys_fchmodat2"),
}

# Calls whose path argument the loop reads with the notification, in the C call that fetched
# it (native/trap.c, read_path_ahead): number -> the argument's index. Their handlers take
# the path with Args.path(i, mem), which reads it itself when the loop could not (a long
# path, a bad pointer): a call here whose handler did not would read its path twice.
READ_AHEAD: dict[int, int] = {
    2: 0,  # open
    4: 0,  # stat
    6: 0,  # lstat
    21: 0,  # access
    89: 0,  # readlink
    257: 1,  # openat
    262: 1,  # newfstatat
    267: 1,  # readlinkat
    269: 1,  # faccessat
    332: 1,  # statx
    437: 1,  # openat2
    439: 1,  # faccessat2
}


def entry_name(nr: int) -> str:
    e = TABLE.get(nr)
    return e.name if e else NAMES.get(nr, f"syscall_{nr}")


def resolve(entry: Entry) -> Callable:
    """Imports an entry's handler (AttributeError/ImportError if the table names a missing one)."""
    module, func = entry.handler.split(":")
    return getattr(importlib.import_module(f"sentry.syscalls.{module}"), func)


def check_names() -> None:
    """Asserts that every entry's name matches the kernel's number (a typo guard)."""
    for nr, e in TABLE.items():
        assert NAMES.get(nr) == e.name, (nr, e.name, NAMES.get(nr))
