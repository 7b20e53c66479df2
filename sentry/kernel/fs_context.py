"""A task's filesystem context: root, working directory and umask (Linux's fs_struct)."""

from __future__ import annotations

from sentry.record import dataclass

from sentry.vfs.dentry import VirtualDentry


@dataclass
class FsContext:
    """Shared between threads (CLONE_FS) or copied by fork()."""

    root: VirtualDentry
    cwd: VirtualDentry
    umask: int = 0o022

    def copy(self) -> FsContext:
        return FsContext(self.root, self.cwd, self.umask)
