"""struct stat / struct statx / struct statfs for x86-64, and the file-type constants."""

from __future__ import annotations

import os
import struct
from sentry.record import dataclass

S_IFMT = 0o170000
S_IFSOCK = 0o140000
S_IFLNK = 0o120000
S_IFREG = 0o100000
S_IFBLK = 0o060000
S_IFDIR = 0o040000
S_IFCHR = 0o020000
S_IFIFO = 0o010000
S_ISUID = 0o4000
S_ISGID = 0o2000
S_ISVTX = 0o1000

# getdents64 d_type values.
DT_UNKNOWN, DT_FIFO, DT_CHR, DT_DIR, DT_BLK, DT_REG, DT_LNK, DT_SOCK = 0, 1, 2, 4, 6, 8, 10, 12

# statx(2) mask bits.
STATX_TYPE = 0x1
STATX_MODE = 0x2
STATX_NLINK = 0x4
STATX_UID = 0x8
STATX_GID = 0x10
STATX_ATIME = 0x20
STATX_MTIME = 0x40
STATX_CTIME = 0x80
STATX_INO = 0x100
STATX_SIZE = 0x200
STATX_BLOCKS = 0x400
STATX_BASIC_STATS = 0x7FF
STATX_BTIME = 0x800
STATX_MNT_ID = 0x1000

_STAT = struct.Struct("<QQQIIIIQqqqqqqqqq24x")
assert _STAT.size == 144
_STATFS = struct.Struct("<qqQQQQQiiqqq32x")
assert _STATFS.size == 120


def kernel_dev(dev: int) -> int:
    """A device number as Linux prints a superblock's s_dev in /proc (major << 20 | minor:
    the kernel's own encoding, not the user-space one of st_dev)."""
    return os.major(dev) << 20 | os.minor(dev)


def type_of(mode: int) -> int:
    return mode & S_IFMT


def dtype_of(mode: int) -> int:
    """The getdents64 d_type of a mode (DT_* is the S_IF* value shifted by 12)."""
    return (mode & S_IFMT) >> 12


@dataclass
class Stat:
    """One file's attributes, as filesystems report them (times in nanoseconds)."""

    dev: int = 0
    ino: int = 0
    nlink: int = 1
    mode: int = 0
    uid: int = 0
    gid: int = 0
    rdev: int = 0
    size: int = 0
    blksize: int = 4096
    blocks: int = 0
    atime_ns: int = 0
    mtime_ns: int = 0
    ctime_ns: int = 0
    btime_ns: int | None = None
    mnt_id: int = 0

    @classmethod
    def from_host(cls, st: os.stat_result) -> Stat:
        """The host's values passed through unchanged."""
        return cls(
            dev=st.st_dev, ino=st.st_ino, nlink=st.st_nlink, mode=st.st_mode, uid=st.st_uid,
            gid=st.st_gid, rdev=st.st_rdev, size=st.st_size, blksize=st.st_blksize,
            blocks=st.st_blocks, atime_ns=st.st_atime_ns, mtime_ns=st.st_mtime_ns,
            ctime_ns=st.st_ctime_ns,
        )


def _ts(ns: int) -> tuple[int, int]:
    return ns // 1_000_000_000, ns % 1_000_000_000


def pack_stat(st: Stat) -> bytes:
    """The 144-byte x86-64 `struct stat`."""
    a, m, c = _ts(st.atime_ns), _ts(st.mtime_ns), _ts(st.ctime_ns)
    return _STAT.pack(
        st.dev, st.ino, st.nlink, st.mode, st.uid, st.gid, 0, st.rdev, st.size, st.blksize,
        st.blocks, a[0], a[1], m[0], m[1], c[0], c[1],
    )


def unpack_stat(data: bytes) -> Stat:
    """The inverse of pack_stat (for tests)."""
    v = _STAT.unpack(data)
    return Stat(
        dev=v[0], ino=v[1], nlink=v[2], mode=v[3], uid=v[4], gid=v[5], rdev=v[7], size=v[8],
        blksize=v[9], blocks=v[10], atime_ns=v[11] * 10**9 + v[12],
        mtime_ns=v[13] * 10**9 + v[14], ctime_ns=v[15] * 10**9 + v[16],
    )


def pack_statx(st: Stat) -> bytes:
    """The 256-byte `struct statx` with every basic field (and btime when known)."""
    mask = STATX_BASIC_STATS | STATX_MNT_ID
    out = bytearray(256)
    struct.pack_into("<IIQ", out, 0, 0, st.blksize, 0)
    struct.pack_into("<IIIH", out, 16, st.nlink, st.uid, st.gid, st.mode & 0xFFFF)
    struct.pack_into("<QQQQ", out, 32, st.ino, st.size, st.blocks, 0)
    times = [st.atime_ns, st.btime_ns, st.ctime_ns, st.mtime_ns]
    for i, ns in enumerate(times):
        if ns is not None:
            struct.pack_into("<qI", out, 64 + 16 * i, *_ts(ns))
    if st.btime_ns is not None:
        mask |= STATX_BTIME
    struct.pack_into(
        "<IIIIQ", out, 128, os.major(st.rdev), os.minor(st.rdev), os.major(st.dev),
        os.minor(st.dev), st.mnt_id,
    )
    struct.pack_into("<I", out, 0, mask)
    return bytes(out)


@dataclass
class StatFs:
    """struct statfs values."""

    type: int
    bsize: int = 4096
    blocks: int = 0
    bfree: int = 0
    bavail: int = 0
    files: int = 0
    ffree: int = 0
    fsid: tuple[int, int] = (0, 0)
    namelen: int = 255
    frsize: int = 4096
    flags: int = 0


def pack_statfs(s: StatFs) -> bytes:
    """The 120-byte x86-64 `struct statfs`."""
    return _STATFS.pack(
        s.type, s.bsize, s.blocks, s.bfree, s.bavail, s.files, s.ffree, s.fsid[0], s.fsid[1],
        s.namelen, s.frsize, s.flags,
    )
