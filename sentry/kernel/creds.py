"""Task credentials: the guest's view of its ids and capabilities. The host's never change.

Capabilities follow capabilities(7): five sets (bit masks, bit N = capability N), the
securebits, and Linux's transitions, kept here so that every caller agrees:

- `capable(creds, CAP_X)`: the privilege check (CAP_X in the effective set);
- `fix_setuid(old, new)`: what a change of uid, euid or suid does to the sets (uid 0 to
  non-0 clears permitted and effective unless keep-caps; euid 0 <-> non-0 clears or
  fills effective) and `fix_setfsuid`: fsuid 0 <-> non-0 clears or raises the fs caps;
- `on_exec()`: execve without file capabilities (the Sentry has none): root gets
  permitted = inheritable | bounding (unless SECBIT_NOROOT), others keep only ambient.
fork copies the credentials (Credentials.copy).
"""

from __future__ import annotations

from typing import Any

from sentry.record import dataclass, field

from sentry.abi.capability import (  # noqa: F401 (re-exported for the checks)
    ALL_CAPS, CAP_BY_NAME, CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER,
    CAP_FSETID, CAP_IPC_OWNER, CAP_KILL, CAP_LAST_CAP, CAP_LINUX_IMMUTABLE, CAP_MAC_OVERRIDE,
    CAP_MKNOD, CAP_NAMES, CAP_NET_ADMIN, CAP_NET_BIND_SERVICE, CAP_NET_RAW, CAP_SETGID, CAP_SETPCAP,
    CAP_SETUID, CAP_SYS_ADMIN, CAP_SYS_CHROOT, CAP_SYS_NICE, CAP_SYS_PTRACE, CAP_SYS_RESOURCE,
)

# The capabilities an fsuid change drops or raises (CAP_FS_MASK in linux/capability.h).
CAP_FS_SET = sum(1 << c for c in (CAP_CHOWN, CAP_MKNOD, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH,
                                  CAP_FOWNER, CAP_FSETID, CAP_LINUX_IMMUTABLE,
                                  CAP_MAC_OVERRIDE))

# securebits(7): each flag has a lock bit just above it. SECBIT_EXEC_RESTRICT_FILE (0x100)
# and SECBIT_EXEC_DENY_INTERACTIVE (0x400) of Linux 6.14 are hints to interpreters that the
# kernel itself only stores, as here.
SECBIT_NOROOT, SECBIT_NO_SETUID_FIXUP, SECBIT_KEEP_CAPS, SECBIT_NO_CAP_AMBIENT_RAISE = (
    1, 4, 16, 64)
NGROUPS_MAX = 65536  # setgroups' limit (kernel.ngroups_max)
SECURE_ALL_BITS = 0x555
SECURE_ALL_LOCKS = SECURE_ALL_BITS << 1


def cap_mask(*caps: int) -> int:
    return sum(1 << c for c in caps)


@dataclass
class Credentials:
    uid: int = 0
    gid: int = 0
    euid: int = 0
    egid: int = 0
    suid: int = 0
    sgid: int = 0
    fsuid: int = 0
    fsgid: int = 0
    groups: list[int] = field(default_factory=list)
    # Unless given, a task made by the Sentry (init, do, exec) starts as a process does at
    # boot: everything permitted and effective when its euid is 0, nothing otherwise.
    effective: int = -1
    permitted: int = -1
    inheritable: int = 0
    bounding: int = ALL_CAPS
    ambient: int = 0
    securebits: int = 0

    def __post_init__(self) -> None:
        boot = ALL_CAPS if self.euid == 0 else 0
        if self.permitted < 0:
            self.permitted = boot
        if self.effective < 0:
            self.effective = boot

    @classmethod
    def for_ids(cls, uid: int, gid: int, groups: list[int] | None = None) -> Credentials:
        """All ids set to uid/gid (a non-root user starts without capabilities)."""
        return cls(uid, gid, uid, gid, uid, gid, uid, gid, list(groups or []))

    def set_caps(self, sets: dict[str, int]) -> None:
        """Sets the capability sets named in `sets` (an OCI process.capabilities) as given."""
        for name in ("effective", "permitted", "inheritable", "bounding", "ambient"):
            if name in sets:
                setattr(self, name, sets[name] & ALL_CAPS)

    def copy(self) -> Credentials:
        c = object.__new__(Credentials)  # every field as it is (no __post_init__ defaults)
        c.__dict__.update(self.__dict__)
        c.groups = list(self.groups)
        return c

    def in_group(self, gid: int) -> bool:
        """Whether `gid` is the fs gid or a supplementary group (for permission checks)."""
        return gid == self.fsgid or gid in self.groups

    def has_cap(self, cap: int) -> bool:
        return bool(self.effective >> cap & 1)

    # --- transitions (security/commoncap.c) ---------------------------------------------

    def fix_setuid(self, old_uid: int, old_euid: int, old_suid: int) -> None:
        """After a change of uid/euid/suid (set*uid): capabilities(7)'s rules."""
        if self.securebits & SECBIT_NO_SETUID_FIXUP:
            return
        was_root = 0 in (old_uid, old_euid, old_suid)
        if was_root and 0 not in (self.uid, self.euid, self.suid):
            if not self.securebits & SECBIT_KEEP_CAPS:
                self.permitted = self.effective = 0
            self.ambient = 0
        if old_euid == 0 and self.euid != 0:
            self.effective = 0
        if old_euid != 0 and self.euid == 0:
            self.effective = self.permitted

    def fix_setfsuid(self, old_fsuid: int) -> None:
        """After an fsuid change: 0 -> non-0 drops the fs caps, non-0 -> 0 raises them."""
        if self.securebits & SECBIT_NO_SETUID_FIXUP:
            return
        if old_fsuid == 0 and self.fsuid != 0:
            self.effective &= ~CAP_FS_SET
        elif old_fsuid != 0 and self.fsuid == 0:
            self.effective |= self.permitted & CAP_FS_SET

    def on_exec(self) -> None:
        """execve of a file without file capabilities or set-id bits."""
        self.suid, self.fsuid = self.euid, self.euid
        self.sgid, self.fsgid = self.egid, self.egid
        root_path = not self.securebits & SECBIT_NOROOT and 0 in (self.uid, self.euid)
        permitted = (self.inheritable | self.bounding) if root_path else 0
        self.permitted = permitted | self.ambient
        self.effective = self.permitted if root_path and self.euid == 0 else self.ambient
        self.securebits &= ~SECBIT_KEEP_CAPS

    def for_real_ids(self) -> Credentials:
        """The credentials access(2) checks with: the real ids, and the capabilities root
        would have (permitted when the real uid is 0, none otherwise)."""
        c = self.copy()
        c.fsuid, c.fsgid = c.uid, c.gid
        if not self.securebits & SECBIT_NO_SETUID_FIXUP:
            c.effective = c.permitted if c.uid == 0 else 0
        return c


def capable(creds: Credentials, cap: int) -> bool:
    """Whether `creds` hold capability `cap` (in the effective set)."""
    return bool(creds.effective >> cap & 1)


def may_inspect(c: Credentials, target: Any, same_group: bool, fscreds: bool = False) -> bool:
    """Linux's ptrace_may_access(..._REALCREDS, or _FSCREDS with `fscreds`: what
    /proc/<pid>/fdinfo asks) of `target` by `c`, READ or ATTACH mode alike (there is no
    Yama here): always within one thread group; else the caller's real (fs) ids match all
    of the target's (uid, euid, suid; gid, egid, sgid), the target is dumpable and its
    permitted capabilities are a subset of the caller's permitted (effective) ones; or the
    caller has CAP_SYS_PTRACE."""
    if same_group or capable(c, CAP_SYS_PTRACE):
        return True
    tc = target.creds
    uid, gid, caps = (c.fsuid, c.fsgid, c.effective) if fscreds else (c.uid, c.gid, c.permitted)
    return (uid == tc.uid == tc.euid == tc.suid and gid == tc.gid == tc.egid == tc.sgid
            and bool(getattr(target.tg, "dumpable", 1))
            and not tc.permitted & ~caps)


def cap_names(mask: int) -> list[str]:
    return [n for i, n in enumerate(CAP_NAMES) if mask >> i & 1]

