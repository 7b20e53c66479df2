"""A minimal, read-only sysfs: what programs commonly read to size themselves.

    fs, root = build_sysfs()

/sys/devices/system/cpu/{online,possible,present,kernel_max} and a cpuN directory per
possible CPU (glibc's get_nprocs and sysconf(_SC_NPROCESSORS_*), Go and the JVM read
them), /sys/devices/system/node/{online,possible}, and
/sys/kernel/mm/transparent_hugepage/{enabled,defrag,hpage_pmd_size} (allocators such as
jemalloc read them): the host's values, read once from fixed host paths (the CPUs and
memory are the host's), never a path the guest named. The top-level directories of Linux's
sysfs exist, empty (block, bus, class, dev/block, dev/char, firmware, fs/cgroup, kernel,
module), so mounts like cgroup2 find /sys/fs/cgroup. Nothing else: no devices, no
writable attribute. A tmpfs tree under the hood, read-only, with sysfs's type and magic.
"""

from __future__ import annotations

import os

from sentry.abi.errno import ENOENT
from sentry.abi.stat import S_IFDIR, S_IFREG
from sentry.vfs.constants import O_WRONLY
from sentry.vfs.fsimpl.host.machine import host_sys_file
from sentry.vfs.fsimpl.tmpfs import TmpfsFS
from sentry.vfs.inode import Inode

SYSFS_MAGIC = 0x62656572
_DIRS = ("block", "bus", "class", "dev/block", "dev/char", "firmware", "fs/cgroup",
         "kernel/mm/transparent_hugepage", "module", "devices/system/cpu",
         "devices/system/node")
# File → value when the host has none (a VM without NUMA or THP shows none of them).
_FILES = {
    "devices/system/cpu/online": None, "devices/system/cpu/possible": None,
    "devices/system/cpu/present": None, "devices/system/cpu/kernel_max": b"8191\n",
    "devices/system/node/online": b"0\n", "devices/system/node/possible": b"0\n",
    "kernel/mm/transparent_hugepage/enabled": b"always [madvise] never\n",
    "kernel/mm/transparent_hugepage/defrag":
        b"always defer defer+madvise [madvise] never\n",
    "kernel/mm/transparent_hugepage/hpage_pmd_size": b"2097152\n",
}


class SysFS(TmpfsFS):
    name = "sysfs"
    magic = SYSFS_MAGIC
    top: Inode  # its root directory (TmpfsFS.root makes a new one)


def build_sysfs() -> tuple[SysFS, Inode]:
    """A filled sysfs and its root directory; read-only once built."""
    fs = SysFS()
    root = fs.top = fs.root(0o555)
    for path in _DIRS:
        _dir(root, path)
    cpus = f"0-{(os.cpu_count() or 1) - 1}\n".encode()
    for path, fallback in _FILES.items():
        value = host_sys_file(path) or fallback or cpus
        parent, _, name = path.rpartition("/")
        f = _dir(root, parent).create(None, name.encode(), S_IFREG | 0o444)
        f.open(None, None, O_WRONLY).pwrite_at(value, 0)
    for cpu in _cpu_numbers(host_sys_file("devices/system/cpu/possible") or cpus):
        _dir(root, f"devices/system/cpu/cpu{cpu}")
    fs.read_only = True
    return fs, root


def _dir(root: Inode, path: str) -> Inode:
    d = root
    for name in path.encode().split(b"/"):
        try:
            d = d.lookup(None, name)
        except ENOENT:
            d = d.mkdir(None, name, S_IFDIR | 0o555)
    return d


def _cpu_numbers(ranges: bytes) -> list[int]:
    """The CPUs of a list such as b"0-3,8\\n"."""
    out: list[int] = []
    for part in ranges.strip().split(b","):
        lo, _, hi = part.partition(b"-")
        if lo.isdigit():
            out.extend(range(int(lo), int(hi if hi.isdigit() else lo) + 1))
    return out
