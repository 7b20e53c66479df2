"""Capabilities: numbers and names (linux/capability.h). Plain data: the runtime's config
parsing imports it too."""

from __future__ import annotations

CAP_NAMES = (
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
    "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
    "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
    "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
    "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
)
CAP_BY_NAME = {n: i for i, n in enumerate(CAP_NAMES)}
(CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER, CAP_FSETID, CAP_KILL,
 CAP_SETGID, CAP_SETUID, CAP_SETPCAP) = range(9)
CAP_LINUX_IMMUTABLE, CAP_NET_BIND_SERVICE, CAP_NET_ADMIN, CAP_NET_RAW = 9, 10, 12, 13
CAP_IPC_LOCK, CAP_IPC_OWNER = 14, 15
CAP_SYS_CHROOT, CAP_SYS_PTRACE, CAP_SYS_ADMIN, CAP_SYS_NICE, CAP_SYS_RESOURCE = 18, 19, 21, 23, 24
CAP_MKNOD, CAP_MAC_OVERRIDE = 27, 32
CAP_LAST_CAP = len(CAP_NAMES) - 1
ALL_CAPS = (1 << (CAP_LAST_CAP + 1)) - 1


def parse_cap_names(names: list[str]) -> tuple[int, list[str]]:
    """(mask, unknown names) of a list like ["CAP_CHOWN", "CAP_KILL"]."""
    mask, unknown = 0, []
    for n in names:
        if n in CAP_BY_NAME:
            mask |= 1 << CAP_BY_NAME[n]
        else:
            unknown.append(n)
    return mask, unknown
