"""Acceptance of the VFS through `runsc_py do` on both platforms: archives, a whole-tree
walk, a WAL-mode SQLite database, and the /proc files people look at."""

from __future__ import annotations

import re

import pytest

TAR_SCRIPT = r"""
set -e
cd "$1"
mkdir -p t1/sub/deeper t2
echo hello > t1/file
ln t1/file t1/hard
ln -s file t1/sym
ln -s sub/deeper t1/dirlink
ln -s /nonexistent t1/dangling
dd if=/dev/zero of=t1/sparse bs=1 count=1 seek=10000000 status=none
printf x | dd of=t1/sparse bs=1 seek=5000000 conv=notrunc status=none
head -c 100000 /dev/urandom > t1/sub/deeper/rand
chmod 0640 t1/sub/deeper/rand
tar --sparse -czf a.tgz t1
cd t2 && tar -xzf ../a.tgz && cd ..
diff -r --no-dereference t1 t2/t1
echo diff-clean
stat -c '%n %h %s %F' t2/t1/file t2/t1/hard t2/t1/sparse t2/t1/sym t2/t1/dirlink
test "$(stat -c %i t2/t1/file)" = "$(stat -c %i t2/t1/hard)" && echo hard-link-kept
test "$(stat -c %b t2/t1/sparse)" -lt 100 && echo still-sparse
readlink t2/t1/dangling
"""

SQLITE = """
import sqlite3
db = sqlite3.connect("/tmp/acceptance-wal.db")
print(db.execute("pragma journal_mode=wal").fetchone()[0])
db.execute("create table t (i integer primary key, v text)")
for i in range(10000):
    db.execute("insert into t (v) values (?)", ("row %d" % i,))
    if i % 1000 == 999:
        db.commit()
db.commit()
print(db.execute("select count(*), sum(i) from t").fetchone())
other = sqlite3.connect("/tmp/acceptance-wal.db")
print(other.execute("select v from t where i = 77").fetchone()[0])
print(db.execute("pragma integrity_check").fetchone()[0])
"""


def test_tar_roundtrip(sandbox_platform: str, run_sandboxed, describe, tmp_path) -> None:
    p = run_sandboxed(sandbox_platform, ["/bin/sh", "-c", TAR_SCRIPT, "sh", str(tmp_path)])
    assert p.returncode == 0, describe(p)
    out = p.stdout.decode()
    assert "diff-clean" in out and "hard-link-kept" in out and "still-sparse" in out, describe(p)
    assert "t2/t1/file 2 6 regular file" in out, describe(p)
    assert "t2/t1/sparse 1 10000001 regular file" in out, describe(p)
    assert "t2/t1/sym 1 4 symbolic link" in out and "/nonexistent" in out, describe(p)
    assert not (tmp_path / "t1").exists()  # the writes stayed in the sandbox's upper layer


def test_sqlite_wal(sandbox_platform: str, run_sandboxed, describe) -> None:
    p = run_sandboxed(sandbox_platform, ["/usr/bin/python3", "-c", SQLITE])
    assert p.returncode == 0, describe(p)
    assert p.stdout == b"wal\n(10000, 50005000)\nrow 76\nok\n", describe(p)


@pytest.mark.slow
def test_find_whole_root_terminates(sandbox_platform: str, run_sandboxed, describe) -> None:
    p = run_sandboxed(sandbox_platform, ["/bin/sh", "-c", "find / -xdev | wc -l"], timeout=600)
    assert p.returncode == 0, describe(p)
    assert int(p.stdout) > 1000, describe(p)


def test_proc_self_files(sandbox_platform: str, run_sandboxed, describe) -> None:
    script = "ls -l /proc/self/fd; echo ==; cat /proc/self/status; echo ==; cat /proc/self/maps"
    p = run_sandboxed(sandbox_platform, ["/bin/sh", "-c", script])
    assert p.returncode == 0, describe(p)
    fds, status, maps = p.stdout.decode().split("==\n")
    assert re.search(r"^l[r-][w-]x------ 1 \S+ \S+ 64 .* 0 -> /dev/null$", fds, re.M), describe(p)
    assert re.search(r" 1 -> pipe:\[\d+\]$", fds, re.M), describe(p)
    assert re.search(r" 3 -> /proc/\d+/fd$", fds, re.M), describe(p)
    fields = dict(line.split(":\t", 1) for line in status.splitlines())
    assert fields["Name"] == "cat" and fields["State"] == "R (running)", describe(p)
    assert fields["VmRSS"].strip().endswith(" kB") and "SigCgt" in fields, describe(p)
    lines = maps.splitlines()
    line_re = re.compile(r"^[0-9a-f]+-[0-9a-f]+ [r-][w-][x-][ps] [0-9a-f]{8} "
                         r"[0-9a-f]{2}:[0-9a-f]{2} \d+ ( {2,}\S.*)?$")
    assert all(line_re.match(ln) for ln in lines), describe(p)
    assert any(ln.endswith(" /usr/bin/cat") and " r-xp " in ln for ln in lines), describe(p)
    assert any(ln.endswith("[stack]") for ln in lines) and any("libc.so" in ln for ln in lines)
    assert "memfd" not in maps, describe(p)
