"""/proc/<pid>/maps, smaps, status and /proc/stat in-process: the host's maps of this test
process stand in for a task's, so every host path in them must be hidden."""

from __future__ import annotations

import mmap
import os
from typing import Any

from sentry.syscalls import sys_file, sys_read_write
from sentry.vfs.constants import AT_FDCWD, O_CREAT, O_RDONLY, O_RDWR
from tests.unit.vfs.conftest import call


def _read_file(t: Any, path: bytes) -> bytes:
    fd = call(t, sys_file.sys_openat, AT_FDCWD, t.put(path), O_RDONLY, 0)
    assert isinstance(fd, int), fd
    out = b""
    while True:
        buf = t.buf(65536)
        n = call(t, sys_read_write.sys_read, fd, buf, 65536)
        if not n:
            return out
        out += t.mem.read(buf, n)


def test_maps_names_only_what_the_sentry_mapped(t: Any) -> None:
    t.tg.host_pid = os.getpid()
    fd = call(t, sys_file.sys_openat, AT_FDCWD, t.put(b"/tmp/mapped"), O_CREAT | O_RDWR, 0o600)
    call(t, sys_read_write.sys_write, fd, t.put(b"x" * 4096), 4096)
    f = t.fds.get(fd)
    host_fd = f.mmap_fd(mmap.PROT_READ, mmap.MAP_SHARED)
    t.fs.root.mount.vfs.map_names.note(host_fd, f)
    m = mmap.mmap(host_fd, 4096, mmap.MAP_SHARED, mmap.PROT_READ)
    try:
        maps = _read_file(t, b"/proc/self/maps")
        smaps = _read_file(t, b"/proc/self/smaps")
    finally:
        m.close()
    lines = maps.splitlines()
    assert len(lines) > 10
    named = [ln for ln in lines if b"/" in ln]
    assert len(named) == 1 and named[0].endswith(b" /tmp/mapped"), named
    assert named[0][73:] == b"/tmp/mapped"
    assert b" r--s " in named[0]
    st = f.stat()
    assert b" %02x:%02x %d " % (os.major(st.dev), os.minor(st.dev), st.ino) in named[0]
    assert b"memfd" not in maps and b"python" not in maps
    assert b"[stack]" in maps
    assert b"\nRss:" in smaps and b"python" not in smaps


def test_status_and_stat(t: Any) -> None:
    t.tg.host_pid = os.getpid()
    status = _read_file(t, b"/proc/self/status").decode()
    fields = dict(line.split(":", 1) for line in status.splitlines())
    assert fields["Pid"] == "\t1" and fields["NSpid"] == "\t1"
    assert "VmRSS" in fields and fields["VmRSS"].endswith("kB")
    assert fields["CapEff"].strip() == fields["CapBnd"].strip()  # root in the guest
    keys = list(fields)
    assert keys.index("Kthread") < keys.index("VmPeak") < keys.index("Threads") < \
        keys.index("SigQ") < keys.index("CapInh") < keys.index("NoNewPrivs")
    stat = _read_file(t, b"/proc/stat")
    assert stat.startswith(b"cpu ") and b"\nbtime " in stat and b"\nprocesses 1\n" in stat
