"""MAP_SHARED of a copied-up lower file: the mapping is of the upper memfd, so it and
read()/write() see each other, and the host's lower file never changes."""

from __future__ import annotations

import mmap
from pathlib import Path
from typing import Any

from sentry.syscalls import sys_file, sys_read_write
from sentry.vfs.constants import AT_FDCWD, O_RDONLY, O_RDWR
from tests.unit.vfs.conftest import call


def test_shared_mapping_of_copied_up_file(t: Any, host_tree: Path) -> None:
    fd = call(t, sys_file.sys_openat, AT_FDCWD, t.put(b"/etc/passwd"), O_RDWR, 0)
    f = t.fds.get(fd)
    host_fd = f.mmap_fd(mmap.PROT_READ | mmap.PROT_WRITE, mmap.MAP_SHARED)
    m = mmap.mmap(host_fd, 4, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
    try:
        m[:4] = b"ROOT"
        other = call(t, sys_file.sys_openat, AT_FDCWD, t.put(b"/etc/passwd"), O_RDONLY, 0)
        buf = t.buf(16)
        assert call(t, sys_read_write.sys_read, other, buf, 8) == 8
        assert t.mem.read(buf, 8) == b"ROOT:x:0"
        call(t, sys_read_write.sys_pwrite64, fd, t.put(b"toor"), 4, 0)
        assert m[:4] == b"toor"
    finally:
        m.close()
    assert (host_tree / "etc" / "passwd").read_bytes().startswith(b"root:x:0")
