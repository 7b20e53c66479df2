"""SysV shared memory of the sandbox's IPC namespace (Linux's ipc/shm.c).

A segment's memory is a host memfd the Sentry holds; shmat maps it into the task from a
donated fd, as a file mmap is (sentry/syscalls/sys_shm.py). The Sentry keeps what Linux
keeps: keys and ids (sentry/kernel/ipc.py), permissions, times, creator and last pids.
The attach count is Linux's, the number of mappings of the segment in the sandbox's
address spaces, read from the host's /proc/<pid>/maps of its processes when asked: a
fork, an munmap, an mremap, a SHM_REMAP or an exit change it there, with no bookkeeping
to go stale. A segment removed with IPC_RMID goes when that count is 0, found at the next
look (any shm call, an exec or an exit). Limits are the namespace's sysctls
kernel.shmmax, shmall and shmmni.
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
    __slots__ = ("size", "fd", "file_id", "atime", "dtime", "cpid", "lpid", "name", "__weakref__")

    def __init__(self, key: int, index: int, seq: int, c: Credentials, mode: int,
                 size: int, fd: int, cpid: int) -> None:
        super().__init__(key, index, seq, c, mode)
        self.size, self.fd = size, fd
        st = os.fstat(fd)
        self.file_id = (os.major(st.st_dev), os.minor(st.st_dev), st.st_ino)  # in maps
        self.atime = self.dtime = 0
        self.cpid, self.lpid = cpid, 0
        # Its name in /proc/<pid>/maps, from the key it was made with (Linux's shm file).
        self.name = b"/SYSV%08x (deleted)" % (key & 0xFFFFFFFF)

    @property
    def pages(self) -> int:
        return (self.size + PAGE - 1) // PAGE

    def stat(self, nattch: int) -> bytes:
        return SHMID_DS.pack(*self.perm(), 0, 0, self.size, self.atime, self.dtime,
                             self.ctime, self.cpid, self.lpid, nattch, 0, 0)


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
        self.reap()

    def attached(self, seg: Segment, pid: int) -> None:
        seg.atime, seg.lpid = int(time.time()), pid

    def detached(self, seg: Segment, pid: int) -> None:
        seg.dtime, seg.lpid = int(time.time()), pid
        self.reap()

    def nattch(self, seg: Segment) -> int:
        """The mappings of the segment in all the sandbox's address spaces."""
        return sum(1 for pid in self._address_spaces() for m in task_maps(pid)
                   if m[3] == seg.file_id)

    def _address_spaces(self) -> list[int]:
        """A host pid per address space in use (CLONE_VM processes share one)."""
        seen: dict[int, int] = {}
        for tg in list(self.kernel.thread_groups.values()):
            if tg.tasks:
                seen.setdefault(id(tg.mm), tg.host_pid)
        return list(seen.values())

    def reap(self) -> None:
        """Segments removed with IPC_RMID that nothing maps any more go."""
        for seg in [s for s in self.segments.values() if s.mode & SHM_DEST]:
            if not self.nattch(seg):
                del self.segments[seg.index]
                self.total_pages -= seg.pages
                os.close(seg.fd)


def task_maps(host_pid: int) -> list[tuple[int, int, int, tuple[int, int, int]]]:
    """(start, end, offset, (major, minor, inode)) of each file mapping of a task, from
    the host's /proc/<pid>/maps ([] if it is gone)."""
    try:
        with open(f"/proc/{host_pid}/maps", "rb") as f:
            lines = f.read().splitlines()
    except OSError:
        return []
    out = []
    for line in lines:
        parts = line.split(None, 5)
        if len(parts) < 5 or parts[4] == b"0":
            continue
        lo, _, hi = parts[0].partition(b"-")
        major, _, minor = parts[3].partition(b":")
        out.append((int(lo, 16), int(hi, 16), int(parts[2], 16),
                    (int(major, 16), int(minor, 16), int(parts[4]))))
    return out
