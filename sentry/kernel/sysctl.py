"""The guest's sysctls: what /proc/sys shows and what config.json's linux.sysctl may set.

Only sysctls that Linux keeps per namespace exist here (runc accepts no others): the IPC
ones (kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.*), the UTS one kernel.domainname,
and a few of net.*. Each starts at Linux's default. The values the Sentry uses take
effect: net.ipv4.ip_unprivileged_port_start (the netstack's privileged ports),
kernel.domainname (uname), and kernel.shmmax, shmall and shmmni (SysV shared memory,
sentry/kernel/ipc_shm.py); the others are shown and kept, nothing more (no SysV message,
semaphore or mqueue limits are enforced by them). kernel.hostname is the OCI `hostname` field, not a
sysctl here (runc refuses it too).

Plain data and functions: the runtime's config parsing imports this module.
"""

from __future__ import annotations

_U64_SHM = "18446744073692774399"
_INT_MAX = (1 << 31) - 1

# name -> (default, number of integers or 0 for a string, lowest, highest)
KEYS: dict[str, tuple[str, int, int, int]] = {
    "fs.mqueue.msg_default": ("10", 1, 1, 65536),
    "fs.mqueue.msg_max": ("10", 1, 1, 65536),
    "fs.mqueue.msgsize_default": ("8192", 1, 128, 16777216),
    "fs.mqueue.msgsize_max": ("8192", 1, 128, 16777216),
    "fs.mqueue.queues_max": ("256", 1, 0, _INT_MAX),
    "kernel.domainname": ("(none)", 0, 0, 64),
    "kernel.msgmax": ("8192", 1, 0, _INT_MAX),
    "kernel.msgmnb": ("16384", 1, 0, _INT_MAX),
    "kernel.msgmni": ("32000", 1, 0, 32768),
    "kernel.sem": ("32000\t1024000000\t500\t32000", 4, 0, _INT_MAX),
    "kernel.shm_rmid_forced": ("0", 1, 0, 1),
    "kernel.shmall": (_U64_SHM, 1, 0, (1 << 64) - 1),
    "kernel.shmmax": (_U64_SHM, 1, 0, (1 << 64) - 1),
    "kernel.shmmni": ("4096", 1, 1, 32768),
    "net.core.somaxconn": ("4096", 1, 0, _INT_MAX),
    "net.ipv4.ip_unprivileged_port_start": ("1024", 1, 0, 65535),
    "net.ipv4.ping_group_range": ("1\t0", 2, 0, _INT_MAX),
}


class SysctlError(ValueError):
    """A sysctl that does not exist here, or a value Linux would refuse."""


def check_name(name: str) -> None:
    """SysctlError (one line naming it) unless `name` is a sysctl the guest may be given."""
    if name == "kernel.hostname":
        raise SysctlError(f"sysctl {name!r} conflicts with the OCI hostname field")
    if name not in KEYS:
        namespaced = name.startswith(("net.", "fs.mqueue.", "kernel.msg", "kernel.shm")) or (
            name in ("kernel.sem", "kernel.domainname"))
        why = "is not supported" if namespaced else "is not in a separate kernel namespace"
        raise SysctlError(f"sysctl {name!r} {why}")


def normalize(name: str, value: str) -> str:
    """The value as /proc/sys shows it; SysctlError if Linux would refuse the write."""
    check_name(name)
    _, count, lo, hi = KEYS[name]
    if count == 0:
        text = value[:-1] if value.endswith("\n") else value
        if len(text.encode()) > hi or "\0" in text:
            raise SysctlError(f"sysctl {name!r}: value too long")
        return text
    words = value.split()
    try:
        nums = [int(w, 10) for w in words]
    except ValueError:
        raise SysctlError(f"sysctl {name!r}: {value!r} is not a number") from None
    if not 1 <= len(nums) <= count or any(not lo <= n <= hi for n in nums):
        raise SysctlError(f"sysctl {name!r}: {value!r} is out of range")
    if len(nums) < count:  # a partial write keeps the remaining values
        nums += [int(w) for w in KEYS[name][0].split()[len(nums):]]
    return "\t".join(str(n) for n in nums)


class Sysctl:
    """One sandbox's values (the Kernel holds it)."""

    def __init__(self, values: dict[str, str] | None = None) -> None:
        self.values = {k: d for k, (d, *_) in KEYS.items()}
        for k, v in (values or {}).items():
            self.values[k] = normalize(k, v)

    def get(self, name: str) -> str:
        return self.values[name]

    def set(self, name: str, value: str) -> None:
        if name in self.values and KEYS[name][1]:
            # a partial write keeps the rest of the current values, not the defaults
            cur = self.values[name].split()
            words = value.split()
            value = " ".join(words + cur[len(words):]) if words else value
        self.values[name] = normalize(name, value)

    def int(self, name: str) -> int:
        return int(self.values[name].split()[0])
