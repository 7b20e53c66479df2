"""Task credentials: the guest's view of its ids. The host ids never change."""

from __future__ import annotations

from dataclasses import dataclass, field


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

    def copy(self) -> Credentials:
        c = Credentials(**{k: getattr(self, k) for k in self.__dataclass_fields__ if k != "groups"})
        c.groups = list(self.groups)
        return c

    def in_group(self, gid: int) -> bool:
        """Whether `gid` is the fs gid or a supplementary group (for permission checks)."""
        return gid == self.fsgid or gid in self.groups
