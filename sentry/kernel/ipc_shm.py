"""SysV shared memory of the sandbox's IPC namespace (Linux's ipc/shm.c).

A segment's memory is a host memfd the Sentry holds; shmat maps it into the task from a
donated fd, as a file mmap is (sentry/syscalls/sys_shm.py). The Sentry keeps what Linux
keeps: keys and ids (index in the low 15 bits, a sequence number above), permissions,
times, creator and last pids, and the attach count, which follows the attachments it
knows of: shmat and shmdt, a fork's copy of the address space, an exec or the exit of an
address space's last user. Limits are the namespace's sysctls kernel.shmmax, shmall and
shmmni. Differences: a segment unmapped with munmap (not shmdt) still counts as attached
until its address space goes; a segment larger than the machine's memory is ENOMEM (swap
is not counted).
"""

from __future__ import annotations

import errno
import os
import struct
import time
from typing import Any

from sentry.abi.errno import EINVAL, ENFILE, ENOMEM, ENOSPC
from sentry.kernel.creds import Credentials
from sentry.kernel.ipc import IPC_PRIVATE, IpcIds, IpcObject

SHM_DEST, SHM_LOCKED = 0o1000, 0o2000  # in a segment's mode, as IPC_STAT shows it
SHM_NORESERVE = 0o10000  # shmget: no memory accounted up front
MAX_LFS_FILESIZE = (1 << 63) - 1
PAGE = 4096
SHMMIN = 1
# struct shmid64_ds: ipc64_perm (key, uid, gid, cuid, cgid, mode, seq), then segsz, times,
# pids, nattch.
SHMID_DS = struct.Struct("<iIIIIIH2x4xQQQqqqiiQQQ")


class Segment(IpcObject):
    __slots__ = ("size", "fd", "atime", "dtime", "cpid", "lpid", "nattch", "name")

    def __init__(self, key: int, index: int, seq: int, c: Credentials, mode: int,
                 size: int, fd: int, cpid: int) -> None:
        super().__init__(key, index, seq, c, mode)
        self.size, self.fd = size, fd
        self.atime = self.dtime = 0
        self.cpid, self.lpid, self.nattch = cpid, 0, 0
        # Its name in /proc/<pid>/maps, from the key it was made with (Linux's shm file).
        self.name = b"/SYSV%08x (deleted)" % (key & 0xFFFFFFFF)

    @property
    def pages(self) -> int:
        return (self.size + PAGE - 1) // PAGE

    def stat(self) -> bytes:
        return SHMID_DS.pack(*self.perm(), 0, 0, self.size, self.atime, self.dtime,
                             self.ctime, self.cpid, self.lpid, self.nattch, 0, 0)


def _memfd(key: int, size: int) -> int:
    """A segment's memory: a host memfd of `size` bytes (ENFILE or ENOMEM if the host
    refuses one)."""
    try:
        fd = os.memfd_create(f"SYSV{key & 0xFFFFFFFF:08x}", os.MFD_CLOEXEC)
    except OSError as e:
        raise ENFILE() if e.errno in (errno.EMFILE, errno.ENFILE) else ENOMEM() from None
    try:
        os.ftruncate(fd, size)
    except OSError:
        os.close(fd)
        raise ENOMEM() from None
    return fd


class ShmNamespace:
    """The segments of one IPC namespace (one per sandbox)."""

    def __init__(self, kernel: Any) -> None:
        self.kernel = kernel  # its sysctl (the namespace's limits) may be replaced at start
        self.ids = IpcIds()
        self.segments = self.ids.objects  # by index
        self.total_pages = 0

    def by_id(self, shmid: int) -> Segment:
        return self.ids.by_id(shmid)

    def get(self, c: Credentials, key: int, size: int, flags: int, pid: int) -> int:
        """shmget: the id of the segment for `key`, made if asked (ipcget)."""
        def more_checks(seg: Segment) -> None:
            if seg.size < size:
                raise EINVAL()

        return self.ids.get(c, key, flags, lambda: self._new(c, key, size, flags, pid),
                            more_checks)

    def _new(self, c: Credentials, key: int, size: int, flags: int, pid: int) -> Segment:
        if not SHMMIN <= size <= self.kernel.sysctl.int("kernel.shmmax"):
            raise EINVAL()
        pages = (size + PAGE - 1) // PAGE
        if pages * PAGE >= 1 << 64 or (
                self.total_pages + pages > self.kernel.sysctl.int("kernel.shmall")):
            raise ENOSPC()
        if not flags & SHM_NORESERVE and pages > os.sysconf("SC_PHYS_PAGES"):
            raise ENOMEM()  # Linux's overcommit heuristic: more than the machine has
        if size > MAX_LFS_FILESIZE:
            raise EINVAL()  # shmem_file_setup: a negative loff_t
        index, seq = self.ids.next_index(self.kernel.sysctl.int("kernel.shmmni"))
        seg = Segment(key, index, seq, c, flags & 0o777, size, _memfd(key, size), pid)
        self.total_pages += pages
        return self.ids.add(seg)

    def remove(self, seg: Segment) -> None:
        """IPC_RMID: the key is freed at once; the memory when the last attachment goes."""
        seg.mode |= SHM_DEST
        seg.key = IPC_PRIVATE
        self._destroy_if_unused(seg)

    def attached(self, seg: Segment, pid: int, n: int = 1) -> None:
        seg.nattch += n
        seg.atime, seg.lpid = int(time.time()), pid

    def detached(self, seg: Segment, pid: int) -> None:
        seg.nattch -= 1
        seg.dtime, seg.lpid = int(time.time()), pid
        self._destroy_if_unused(seg)

    def _destroy_if_unused(self, seg: Segment) -> None:
        if seg.mode & SHM_DEST and seg.nattch <= 0 and self.segments.get(seg.index) is seg:
            del self.segments[seg.index]
            self.total_pages -= seg.pages
            os.close(seg.fd)


def fork_attachments(ns: ShmNamespace, old: list, new: list, pid: int) -> None:
    """A forked address space has the parent's attachments: each counts once more."""
    new.extend(old)
    for _, _, seg in old:
        ns.attached(seg, pid)


def drop_attachments(ns: ShmNamespace, attachments: list, pid: int) -> None:
    """An address space that goes (exec, its last user's exit) detaches everything."""
    for _, _, seg in attachments:
        ns.detached(seg, pid)
    attachments.clear()
