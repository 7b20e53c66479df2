"""SysV shared memory: shmget, shmat, shmdt, shmctl (the segments: sentry/kernel/ipc_shm.py).

shmat and shmdt take the TRACE lane: the task is stopped while the Sentry maps the
segment's memfd into it from a donated fd (as a file mmap) or unmaps it.
Differences: SHM_HUGETLB makes an ordinary segment; see also ipc_shm's module doc.
"""

from __future__ import annotations

import struct

from sentry.abi.errno import BY_NUMBER, EACCES, EEXIST, EINVAL, EPERM
from sentry.abi.sysno import SYS_mmap, SYS_munmap
from sentry.vfs.fsimpl.host.readonly import shared_map_fd
from sentry.kernel.args import Args
from sentry.abi.capability import CAP_IPC_LOCK
from sentry.kernel.creds import capable
from sentry.kernel.ipc import allowed
from sentry.kernel.ipc_shm import PAGE, SHM_LOCKED, SHMID_DS, Segment, ShmNamespace, task_maps
from sentry.kernel.task import Task

SHM_RDONLY, SHM_RND, SHM_REMAP, SHM_EXEC = 0o10000, 0o20000, 0o40000, 0o100000
SHMLBA = PAGE
PROT_READ, PROT_WRITE, PROT_EXEC = 1, 2, 4
MAP_SHARED, MAP_FIXED, MAP_FIXED_NOREPLACE = 0x01, 0x10, 0x100000
IPC_RMID, IPC_SET, IPC_STAT, IPC_INFO = 0, 1, 2, 3
SHM_LOCK, SHM_UNLOCK, SHM_STAT, SHM_INFO, SHM_STAT_ANY = 11, 12, 13, 14, 15
RLIMIT_MEMLOCK = 8
SHM_DEV = 1  # 00:01, the device Linux's shm mount shows in /proc/<pid>/maps
SHMINFO = struct.Struct("<9Q")  # struct shminfo64
SHM_INFO_STRUCT = struct.Struct("<i4x5Q")  # struct shm_info


def _ns(t: Task) -> ShmNamespace:
    return t.kernel.shm


def sys_shmget(t: Task, a: Args) -> int:
    """Implements shmget(2)."""
    ns = _ns(t)
    ns.reap()
    return ns.get(t.creds, a.int(0), a.size(1), a.int(2), t.tg.vpid)


def sys_shmat(t: Task, a: Args) -> int:
    """Implements shmat(2): do_shmat's checks, then a shared mapping of the segment."""
    shmid, addr, flags = a.int(0), a.ptr(1), a.int(2)
    if shmid < 0:
        raise EINVAL()
    map_flags = MAP_SHARED
    if addr:
        if addr & (SHMLBA - 1):
            if not flags & SHM_RND:
                raise EINVAL()
            addr &= ~(SHMLBA - 1)
            if not addr and flags & SHM_REMAP:
                raise EINVAL()
        map_flags |= MAP_FIXED if flags & SHM_REMAP else MAP_FIXED_NOREPLACE
    elif flags & SHM_REMAP:
        raise EINVAL()
    prot, want = (PROT_READ, 0o444) if flags & SHM_RDONLY else (PROT_READ | PROT_WRITE, 0o666)
    if flags & SHM_EXEC:
        prot, want = prot | PROT_EXEC, want | 0o111
    ns = _ns(t)
    seg = ns.by_id(shmid)
    if not allowed(t.creds, seg, want):
        raise EACCES()
    p = t.kernel.platform
    size = seg.pages * PAGE
    if addr and not flags & SHM_REMAP and addr + size >= 1 << 64:
        raise EINVAL()  # the range wraps
    names = t.fs.root.mount.vfs.map_names
    # A SHM_RDONLY attach maps a read-only fd: mprotect cannot make it writable (EACCES).
    host_fd = shared_map_fd(seg, seg.fd) if flags & SHM_RDONLY else seg.fd
    task_fd = p.donate(t.ctx, host_fd, lambda: names.note_raw(host_fd, seg.name, SHM_DEV, seg.id))
    if task_fd < 0:
        raise BY_NUMBER[-task_fd]()
    got = p.inject(t.ctx, SYS_mmap, addr, size, prot, map_flags, task_fd, 0)
    if -4096 < got < 0:
        raise EINVAL() if -got == EEXIST.errno else BY_NUMBER[-got]()
    ns.attached(seg, t.tg.vpid)
    ns.reap()  # (a SHM_REMAP may have replaced the last mapping of a removed segment)
    return got


def sys_shmdt(t: Task, a: Args) -> int:
    """Implements shmdt(2) as Linux's do_shmdt, on the task's mappings as the host has
    them: the first mapping of a segment at or after addr whose offset is its distance
    from addr is the attachment (EINVAL if none); its mappings of that segment up to the
    segment's size from addr are unmapped."""
    addr = a.ptr(0)
    if addr & (PAGE - 1):
        raise EINVAL()
    ns = _ns(t)
    by_file = {seg.file_id: seg for seg in ns.segments.values()}
    maps = [m for m in task_maps(t.tg.host_pid) if m[1] > addr]
    seg = next((by_file[m[3]] for m in maps
                if m[3] in by_file and m[0] - addr == m[2]), None)
    if seg is None:
        raise EINVAL()
    end = addr + seg.pages * PAGE
    for start, stop, offset, file_id in maps:
        if file_id == seg.file_id and stop <= end and start - addr == offset:
            t.kernel.platform.inject(t.ctx, SYS_munmap, start, stop - start)
    ns.detached(seg, t.tg.vpid)
    return 0


def sys_shmctl(t: Task, a: Args) -> int:
    """Implements shmctl(2)."""
    shmid, cmd, buf = a.int(0), a.int(1), a.ptr(2)
    if cmd < 0 or shmid < 0:
        raise EINVAL()
    ns = _ns(t)
    ns.reap()
    top = ns.ids.max_index()
    if cmd == IPC_INFO:
        sc = t.kernel.sysctl
        mni = sc.int("kernel.shmmni")
        t.mem.write(buf, SHMINFO.pack(sc.int("kernel.shmmax"), 1, mni, mni,
                                      sc.int("kernel.shmall"), 0, 0, 0, 0))
        return top
    if cmd == SHM_INFO:
        t.mem.write(buf, SHM_INFO_STRUCT.pack(len(ns.segments), ns.total_pages,
                                              ns.total_pages, 0, 0, 0))
        return top
    if cmd in (SHM_STAT, SHM_STAT_ANY):  # shmid is an index here
        seg = ns.ids.by_index(t.creds, shmid, cmd == SHM_STAT)
        t.mem.write(buf, seg.stat(ns.nattch(seg)))
        return seg.id
    if cmd == IPC_STAT:
        seg = ns.by_id(shmid)
        if not allowed(t.creds, seg, 0o444):
            raise EACCES()
        t.mem.write(buf, seg.stat(ns.nattch(seg)))
        return 0
    if cmd == IPC_SET:
        new = SHMID_DS.unpack(t.mem.read(buf, SHMID_DS.size))  # before the lookup, as Linux
        seg = ns.by_id(shmid)
        seg.check_owner(t.creds)
        seg.set_perm(new[1], new[2], new[5])
        return 0
    if cmd == IPC_RMID:
        seg = ns.by_id(shmid)
        seg.check_owner(t.creds)
        ns.remove(seg)
        return 0
    if cmd in (SHM_LOCK, SHM_UNLOCK):
        return _lock(t, ns.by_id(shmid), cmd == SHM_LOCK)
    raise EINVAL()


def _lock(t: Task, seg: Segment, lock: bool) -> int:
    """SHM_LOCK/SHM_UNLOCK: the owner with a RLIMIT_MEMLOCK to lock under, or
    CAP_IPC_LOCK. Differences: the Sentry's memfd is not kept from swap; the flag is
    what changes."""
    c = t.creds
    if not capable(c, CAP_IPC_LOCK):
        if c.euid not in (seg.uid, seg.cuid):
            raise EPERM()
        if lock and not t.tg.rlimits[RLIMIT_MEMLOCK][0]:
            raise EPERM()
    seg.mode = seg.mode | SHM_LOCKED if lock else seg.mode & ~SHM_LOCKED
    return 0
