"""AF_UNIX addresses: sockaddr_un parsing and the two namespaces.

A path name is a socket inode in the Sentry VFS (bind makes it with mknod S_IFSOCK; the
bound socket is found again by the inode's (st_dev, st_ino), as FIFOs are). An abstract
name (sun_path[0] == 0) lives in a table of its own, dropped when the socket closes.
"""

from __future__ import annotations

import itertools
import struct
from typing import Any

from sentry.abi.errno import (
    EADDRINUSE, ECONNREFUSED, EEXIST, EINVAL, SysError,
)
from sentry.abi.stat import S_IFMT, S_IFSOCK
from sentry.netstack.socket import AF_UNIX
from sentry.vfs import ops
from sentry.vfs.constants import AT_FDCWD
from sentry.vfs.perm import MAY_WRITE, check_access

UNIX_PATH_MAX = 108
SUN_PATH_OFFSET = 2

_ABSTRACT: dict[bytes, Any] = {}
_BY_INODE: dict[tuple[int, int], Any] = {}
_autobind = itertools.count(1)


def parse(addr: bytes) -> bytes:
    """A sockaddr_un's name: b"" (unnamed: autobind), b"\\0…" (abstract) or a path.

    EINVAL for a bad length or family, as unix_validate_addr.
    """
    if len(addr) < SUN_PATH_OFFSET or len(addr) > SUN_PATH_OFFSET + UNIX_PATH_MAX:
        raise EINVAL()
    if struct.unpack_from("<H", addr)[0] != AF_UNIX:
        raise EINVAL()
    path = addr[SUN_PATH_OFFSET:]
    if path[:1] == b"\0":
        return path
    nul = path.find(b"\0")
    return path if nul < 0 else path[:nul]


def sockaddr(name: bytes | None) -> bytes:
    """The sockaddr_un getsockname reports (a path gets its NUL; unnamed: family only)."""
    head = struct.pack("<H", AF_UNIX)
    if not name:
        return head
    return head + name + (b"" if name[:1] == b"\0" else b"\0")


def bind(t: Any, sock: Any, name: bytes) -> tuple[bytes, Any]:
    """Binds `sock` to `name` (b"": an autobind abstract name); returns the name and the
    key to unbind with. EADDRINUSE if taken; the VFS's errors (ENOENT, EACCES …) else."""
    if not name:
        while True:
            name = b"\0%05x" % (next(_autobind) & 0xFFFFF)
            if name not in _ABSTRACT:
                break
    if name[:1] == b"\0":
        if name in _ABSTRACT:
            raise EADDRINUSE()
        _ABSTRACT[name] = sock
        return name, ("abstract", name)
    try:
        ops.mknod_at(t, AT_FDCWD, name, S_IFSOCK | 0o777, 0)
    except EEXIST:
        raise EADDRINUSE() from None
    st = ops.stat_at(t, AT_FDCWD, name, follow=False)
    key = (st.dev, st.ino)
    _BY_INODE[key] = sock
    return name, ("inode", key)


def check_rebind(t: Any, name: bytes) -> None:
    """EADDRINUSE if `name` is a path that exists (bind of a bound socket checks it first)."""
    if name[:1] in (b"", b"\0"):
        return
    try:
        ops.stat_at(t, AT_FDCWD, name, follow=False)
    except SysError:
        return
    raise EADDRINUSE()


def unbind(key: Any, sock: Any) -> None:
    kind, k = key
    table = _ABSTRACT if kind == "abstract" else _BY_INODE
    if table.get(k) is sock:
        del table[k]


def lookup(t: Any, name: bytes) -> Any:
    """The socket bound to `name`: ECONNREFUSED if none; ENOENT, EACCES … from the VFS."""
    if not name:
        raise EINVAL()
    if name[:1] == b"\0":
        sock = _ABSTRACT.get(name)
        if sock is None:
            raise ECONNREFUSED()
        return sock
    vd = ops.lookup(t, AT_FDCWD, name, follow=True)
    st = vd.dentry.inode.stat()
    check_access(t.creds, st, MAY_WRITE)
    if st.mode & S_IFMT != S_IFSOCK:
        raise ECONNREFUSED()
    sock = _BY_INODE.get((st.dev, st.ino))
    if sock is None:
        raise ECONNREFUSED()
    return sock
