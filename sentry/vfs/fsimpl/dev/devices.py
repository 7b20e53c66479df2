"""Character devices the Sentry implements: null, zero, full, random, urandom, tty.

They are found by (major, minor) in the VFS's device registry, whichever filesystem the
node is in.
"""

from __future__ import annotations

import os
from typing import Any

from sentry.abi.errno import EACCES, ENOSPC, ENXIO
from sentry.kernel.waiter import POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM
from sentry.vfs.dentry import VirtualDentry
from sentry.vfs.file import FileDescription
from sentry.vfs.vfs import VFS

MEM_MAJOR = 1
TTYAUX_MAJOR = 5
_READY = POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM
_MAX_CHUNK = 1 << 20


class CharDevFile(FileDescription):
    """Base for devices: no offsets (reads ignore it), always ready."""

    def pread(self, n: int, off: int) -> bytes:
        return self.read(n)

    def pwrite(self, data: bytes, off: int) -> int:
        return self.write(data)

    def seek(self, off: int, whence: int) -> int:
        self.offset = 0
        return 0

    def poll_events(self) -> int:
        return _READY


class NullFile(CharDevFile):
    """/dev/null: reads EOF, writes vanish."""

    can_poll = False  # no poll method in Linux: always ready for poll, EPERM for epoll

    def read(self, n: int) -> bytes:
        self._check_read()
        return b""

    def write(self, data: bytes) -> int:
        self._check_write()
        return len(data)


class ZeroFile(CharDevFile):
    """/dev/zero: reads zeros, writes vanish.

    mmap: Linux maps anonymous memory (shared anonymous for MAP_SHARED); mmap_fd has no
    length to size a memfd with, so it stays ENODEV and `mmap_anonymous` tells sys_mmap
    to map MAP_ANONYMOUS instead.
    """

    mmap_anonymous = True
    can_poll = False  # /dev/full too

    def read(self, n: int) -> bytes:
        self._check_read()
        return bytes(min(n, _MAX_CHUNK))

    def write(self, data: bytes) -> int:
        self._check_write()
        return len(data)


class FullFile(ZeroFile):
    """/dev/full: reads zeros, writes fail with ENOSPC."""

    def write(self, data: bytes) -> int:
        self._check_write()
        raise ENOSPC()


class RandomFile(CharDevFile):
    """/dev/random and /dev/urandom: the host's CSPRNG (never blocks since Linux 5.6)."""

    def read(self, n: int) -> bytes:
        self._check_read()
        return os.urandom(min(n, _MAX_CHUNK))

    def write(self, data: bytes) -> int:
        self._check_write()
        return len(data)  # Linux mixes it into the pool; ours is the host's


def _open_tty(t: Any, vd: VirtualDentry, flags: int) -> FileDescription:
    """/dev/tty: the caller's controlling terminal, ENXIO when it has none."""
    get_ctty = getattr(getattr(t, "tg", None), "controlling_tty", None)
    ctty = get_ctty() if callable(get_ctty) else get_ctty
    if ctty is None:
        raise ENXIO()
    reopen = getattr(ctty, "reopen", None)
    if reopen is None:
        raise EACCES()
    return reopen(flags)


def register_devices(vfs: VFS) -> None:
    """Registers the mem devices and /dev/tty in vfs."""
    def simple(cls: type[FileDescription]) -> Any:
        return lambda t, vd, flags: cls(flags, vd)

    vfs.register_device(MEM_MAJOR, 3, simple(NullFile))
    vfs.register_device(MEM_MAJOR, 5, simple(ZeroFile))
    vfs.register_device(MEM_MAJOR, 7, simple(FullFile))
    vfs.register_device(MEM_MAJOR, 8, simple(RandomFile))
    vfs.register_device(MEM_MAJOR, 9, simple(RandomFile))
    vfs.register_device(TTYAUX_MAJOR, 0, _open_tty)
