"""The /dev tree: a tmpfs with device nodes and the standard symlinks.

/dev/console is not made here: with a terminal (process.terminal, or `do` run from one)
the start-up wiring adds it as the init's terminal (rootfs.SandboxRoot.expose_console),
as runc bind-mounts the console pty there; without one there is none, as with runc and
runsc (gVisor's devtmpfs has no console either).
"""

from __future__ import annotations

import os

from sentry.abi.stat import S_IFCHR, S_IFDIR
from sentry.vfs.fsimpl.tmpfs import TmpfsFS, TmpfsInode

_NODES = [
    (b"null", 1, 3), (b"zero", 1, 5), (b"full", 1, 7), (b"random", 1, 8),
    (b"urandom", 1, 9), (b"tty", 5, 0), (b"ptmx", 5, 2),
]
_LINKS = [
    (b"fd", b"/proc/self/fd"), (b"stdin", b"/proc/self/fd/0"),
    (b"stdout", b"/proc/self/fd/1"), (b"stderr", b"/proc/self/fd/2"),
]


class DevFS(TmpfsFS):
    name = "devtmpfs"


def build_devfs() -> tuple[DevFS, TmpfsInode]:
    """A devtmpfs-like tree: nodes 0666 root:root, /dev/pts (for devpts) and /dev/shm (1777)."""
    fs = DevFS()
    root = fs.root(0o755)
    for name, major, minor in _NODES:
        root.mknod(None, name, S_IFCHR | 0o666, os.makedev(major, minor))
    for name, target in _LINKS:
        root.symlink(None, name, target)
    root.mkdir(None, b"pts", S_IFDIR | 0o755)
    root.mkdir(None, b"shm", S_IFDIR | 0o1777)
    return fs, root
