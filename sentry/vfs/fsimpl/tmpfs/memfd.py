"""memfd_create(2)'s files: unnamed tmpfs files on an internal mount (Linux's shm_mnt).

The mount is in no mount tree, so the file's path is `/memfd:NAME` and, being unlinked,
/proc/<pid>/fd and /proc/<pid>/maps show `/memfd:NAME (deleted)`, as on Linux. Its data is
a host memfd the Sentry owns (created with MFD_ALLOW_SEALING so the seals that matter to
mappings can be mirrored there; see seals.py), mapped by donation like any tmpfs file.

MFD_HUGETLB files live on a hugetlbfs-like filesystem per page size (2 MB by default, or
1 GB): they behave as Linux's on a host with no huge pages reserved (HugePages_Total 0):
write(2) is EINVAL, sizes are whole huge pages, read(2) sees zeros, and mmap fails with
ENOMEM as fallocate does with ENOSPC, since no page can be had.
"""

from __future__ import annotations

from typing import Any

from sentry.abi.errno import EINVAL, ENODEV, ENOMEM, ENOSPC, EOPNOTSUPP
from sentry.abi.stat import S_IFREG, Stat, StatFs
from sentry.vfs.constants import O_LARGEFILE, O_RDWR
from sentry.vfs.dentry import Dentry, Mount, VirtualDentry
from sentry.vfs.fsimpl.tmpfs import seals as sl
from sentry.vfs.fsimpl.tmpfs.tmpfs import (
    FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, TmpfsFile, TmpfsFS, TmpfsInode,
)
from sentry.vfs.inode import SetAttr

MFD_CLOEXEC, MFD_ALLOW_SEALING, MFD_HUGETLB = 0x1, 0x2, 0x4
MFD_NOEXEC_SEAL, MFD_EXEC = 0x8, 0x10
MFD_ALL_FLAGS = 0x1F
MFD_HUGE_SHIFT, MFD_HUGE_MASK = 26, 0x3F
MFD_NAME_MAX = 249  # NAME_MAX minus the "memfd:" prefix
HUGETLBFS_MAGIC = 0x958458F6
HUGE_SIZES = {0: 1 << 21, 21: 1 << 21, 30: 1 << 30}  # x86-64's hstates (0: the default)


def check_flags(flags: int) -> None:
    """memfd_create's flag rules (EINVAL): the page-size bits only with MFD_HUGETLB, and
    not MFD_EXEC with MFD_NOEXEC_SEAL. (The vm.memfd_noexec sysctl is 0, Linux's default:
    neither flag means MFD_EXEC.)"""
    allowed = MFD_ALL_FLAGS
    if flags & MFD_HUGETLB:
        allowed |= MFD_HUGE_MASK << MFD_HUGE_SHIFT
    if flags & ~allowed or (flags & MFD_EXEC and flags & MFD_NOEXEC_SEAL):
        raise EINVAL()


class MemfdFS(TmpfsFS):
    sealable = True


class HugetlbFS(MemfdFS):
    name = "hugetlbfs"
    magic = HUGETLBFS_MAGIC

    def __init__(self, huge: int) -> None:
        super().__init__()
        self.huge = huge

    def new_inode(self, mode: int, uid: int = 0, gid: int = 0, rdev: int = 0) -> TmpfsInode:
        return HugetlbInode(self, mode, uid, gid, rdev)

    def statfs(self) -> StatFs:
        s = super().statfs()
        s.bsize = s.frsize = self.huge
        s.blocks = s.bfree = s.bavail = 0  # no huge pages
        return s


class HugetlbInode(TmpfsInode):
    fs: HugetlbFS
    chmod_sealed = False  # Linux's hugetlbfs_setattr ignores F_SEAL_EXEC

    def stat(self) -> Stat:
        st = super().stat()
        st.blksize, st.blocks = self.fs.huge, 0
        return st

    def setattr(self, t: Any, attrs: SetAttr) -> None:
        if attrs.size is not None and attrs.size % self.fs.huge:
            raise EINVAL()
        super().setattr(t, attrs)

    def open(self, t: Any, vd: Any, flags: int) -> Any:
        return HugetlbFile(flags, vd, self)


class HugetlbFile(TmpfsFile):
    @property
    def map_align(self) -> int:
        """mmap offsets must be whole huge pages (sys_mmap: EINVAL)."""
        return self.node.fs.huge  # type: ignore[attr-defined]

    def pwrite_at(self, data: bytes, off: int) -> int:
        raise EINVAL()  # hugetlbfs has no write(2)

    def allocate(self, mode: int, off: int, length: int) -> None:
        if mode & ~(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE):
            raise EOPNOTSUPP()
        sl.check_fallocate(self.node.seals, mode, off, length, self.node.size())
        if mode & FALLOC_FL_PUNCH_HOLE:
            return  # nothing is allocated, so nothing to punch
        raise ENOSPC()  # no huge page to allocate

    def mmap_fd(self, prot: int, flags: int) -> int:
        self._check_mmap(prot, flags)
        sl.check_mmap(self.node.seals, prot, flags)
        raise ENOMEM()  # no huge page to reserve


def _internal_mount(vfs: Any, key: str, make: Any) -> Mount:
    m = vfs.internal.get(key)
    if m is None:
        fs = make()
        m = vfs.internal[key] = Mount(vfs, fs, Dentry(fs.root()))
    return m


def create(t: Any, name: bytes, flags: int) -> Any:
    """A new memfd's open file (O_RDWR|O_LARGEFILE), its seals and mode set per flags.
    ENODEV for a huge page size the machine does not have."""
    vfs = t.fs.root.mount.vfs
    if flags & MFD_HUGETLB:
        huge = HUGE_SIZES.get(flags >> MFD_HUGE_SHIFT & MFD_HUGE_MASK)
        if huge is None:
            raise ENODEV()
        m = _internal_mount(vfs, f"hugetlbfs-{huge}", lambda: HugetlbFS(huge))
    else:
        m = _internal_mount(vfs, "memfd", MemfdFS)
    exec_bits = 0 if flags & MFD_NOEXEC_SEAL else 0o111
    node = m.fs.new_inode(S_IFREG | 0o666 | exec_bits, t.creds.fsuid, t.creds.fsgid)
    node.nlink = 0
    if flags & (MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL):
        node.seals = 0
    if flags & MFD_NOEXEC_SEAL:
        node.seals |= sl.F_SEAL_EXEC
    dentry = Dentry(node, b"memfd:" + name, m.root)
    dentry.dead = True
    return node.open(t, VirtualDentry(m, dentry), O_RDWR | O_LARGEFILE)
