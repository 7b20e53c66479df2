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

from sentry.abi.errno import EACCES, EEXIST, EIDRM, EINVAL, ENFILE, ENOENT, ENOMEM, ENOSPC
from sentry.kernel.creds import CAP_IPC_OWNER, Credentials, capable

IPC_PRIVATE = 0
IPC_CREAT, IPC_EXCL = 0o1000, 0o2000
SHM_DEST, SHM_LOCKED = 0o1000, 0o2000  # in a segment's mode, as IPC_STAT shows it
SHM_NORESERVE = 0o10000  # shmget: no memory accounted up front
MAX_LFS_FILESIZE = (1 << 63) - 1
SEQ_SHIFT = 15  # Linux's IPCMNI_SHIFT: id = seq << 15 | index
SEQ_MAX = (1 << 16) - 1
PAGE = 4096
SHMMIN = 1
# struct shmid64_ds: ipc64_perm (key, uid, gid, cuid, cgid, mode, seq), then segsz, times,
# pids, nattch.
SHMID_DS = struct.Struct("<iIIIIIH2x4xQQQqqqiiQQQ")


class Segment:
    __slots__ = ("key", "index", "seq", "uid", "gid", "cuid", "cgid", "mode", "size",
                 "fd", "atime", "dtime", "ctime", "cpid", "lpid", "nattch", "name")

    def __init__(self, key: int, index: int, seq: int, c: Credentials, mode: int,
                 size: int, fd: int, cpid: int) -> None:
        self.key, self.index, self.seq = key, index, seq
        self.uid = self.cuid = c.euid
        self.gid = self.cgid = c.egid
        self.mode, self.size, self.fd = mode, size, fd
        self.atime = self.dtime = 0
        self.ctime = int(time.time())
        self.cpid, self.lpid, self.nattch = cpid, 0, 0
        # Its name in /proc/<pid>/maps, from the key it was made with (Linux's shm file).
        self.name = b"/SYSV%08x (deleted)" % (key & 0xFFFFFFFF)

    @property
    def id(self) -> int:
        return self.seq << SEQ_SHIFT | self.index

    @property
    def pages(self) -> int:
        return (self.size + PAGE - 1) // PAGE

    def stat(self) -> bytes:
        return SHMID_DS.pack(self.key, self.uid, self.gid, self.cuid, self.cgid, self.mode,
                             self.seq, 0, 0, self.size, self.atime, self.dtime, self.ctime,
                             self.cpid, self.lpid, self.nattch, 0, 0)


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


def allowed(c: Credentials, seg: Segment, want: int) -> bool:
    """Linux's ipcperms: the owner's, group's or others' bits of the segment's mode, as
    the caller's effective ids select them; CAP_IPC_OWNER passes. `want`: 0o4 read, 0o2
    write, 0o1 execute (or their S_IRUGO-style spreads)."""
    want = (want >> 6 | want >> 3 | want) & 0o7
    granted = seg.mode
    if c.euid in (seg.cuid, seg.uid):
        granted >>= 6
    elif c.egid in (seg.cgid, seg.gid) or seg.cgid in c.groups or seg.gid in c.groups:
        granted >>= 3
    return not want & ~granted & 0o7 or capable(c, CAP_IPC_OWNER)


class ShmNamespace:
    """The segments of one IPC namespace (one per sandbox), by index."""

    def __init__(self, kernel: Any) -> None:
        self.kernel = kernel  # its sysctl (the namespace's limits) may be replaced at start
        self.segments: dict[int, Segment] = {}
        self.seq = 0
        self.last_index = -1
        self.total_pages = 0

    def by_key(self, key: int) -> Segment | None:
        for seg in self.segments.values():
            if seg.key == key and key != IPC_PRIVATE:
                return seg
        return None

    def by_id(self, shmid: int) -> Segment:
        """The segment shmid names (EINVAL, as Linux's shm_obtain_object_check)."""
        seg = self.segments.get(shmid & ((1 << SEQ_SHIFT) - 1)) if shmid >= 0 else None
        if seg is None or seg.seq != shmid >> SEQ_SHIFT:
            raise EINVAL()
        return seg

    def get(self, c: Credentials, key: int, size: int, flags: int, pid: int) -> int:
        """shmget: the id of the segment for `key`, made if asked (ipcget)."""
        if key != IPC_PRIVATE:
            seg = self.by_key(key)
            if seg is not None:
                if flags & IPC_CREAT and flags & IPC_EXCL:
                    raise EEXIST()
                if seg.size < size:
                    raise EINVAL()
                if not allowed(c, seg, flags & 0o777):
                    raise EACCES()
                return seg.id
            if not flags & IPC_CREAT:
                raise ENOENT()
        return self._new(c, key, size, flags, pid).id

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
        mni = self.kernel.sysctl.int("kernel.shmmni")
        index = next((i for i in range(mni) if i not in self.segments), None)
        if index is None:
            raise ENOSPC()
        # Linux's ipc_idr_alloc: the lowest free index; the sequence number moves on when
        # an index is handed out again (not above the last one), so ids stay unique.
        if index <= self.last_index:
            self.seq = 0 if self.seq >= SEQ_MAX else self.seq + 1
        self.last_index = index
        fd = _memfd(key, pages * PAGE)
        seg = Segment(key, index, self.seq, c, flags & 0o777, size, fd, pid)
        self.segments[index] = seg
        self.total_pages += pages
        return seg

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

    def check_alive(self, seg: Segment) -> None:
        if self.segments.get(seg.index) is not seg:
            raise EIDRM()


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
