"""tmpfs size=: the pages files hold are counted as Linux's shmem does (checked against a
real `mount -t tmpfs -o size=1m`): a write beyond the limit is cut at the last page that
fits, then ENOSPC; truncate never allocates; fallocate is all or nothing; unlinking (the
last reference) gives the pages back; statfs reports the limit."""

from __future__ import annotations

import gc

import pytest

from sentry.abi.errno import ENOSPC, EOPNOTSUPP
from sentry.abi.stat import S_IFREG
from sentry.vfs.fsimpl.tmpfs import TmpfsFS, parse_size
from sentry.vfs.fsimpl.tmpfs.tmpfs import FALLOC_FL_KEEP_SIZE, TmpfsFile

MIB = 1 << 20


def new_file(fs: TmpfsFS, root, name: bytes) -> TmpfsFile:
    return TmpfsFile(2, None, root.create(None, name, S_IFREG | 0o644))


@pytest.fixture
def fs() -> TmpfsFS:
    return TmpfsFS(parse_size(["mode=1777", "size=1m"]))


def test_parse_size():
    assert parse_size(["size=1m"]) == 256
    assert parse_size(["size=4097"]) == 2
    assert parse_size(["size=2G"]) == 512 * 1024
    assert parse_size(["nr_blocks=10"]) == 10
    assert parse_size(["mode=755"]) == 0
    assert parse_size(["size=50%"]) > 0
    with pytest.raises(ValueError):
        parse_size(["size=12q"])


def test_write_is_cut_at_the_limit_then_enospc(fs):
    root = fs.root()
    f = new_file(fs, root, b"a")
    assert fs.statfs().blocks == 256 and fs.statfs().bfree == 256
    assert f.pwrite_at(b"x" * 2 * MIB, 0) == MIB
    with pytest.raises(ENOSPC):
        f.pwrite_at(b"y" * 10, MIB)
    assert fs.statfs().bfree == 0
    # Rewriting allocated pages needs no room; a byte in a new page does.
    assert f.pwrite_at(b"z" * 4096, 0) == 4096
    f.truncate_at(100 * MIB)  # sparse: allowed
    assert f.size() == 100 * MIB
    with pytest.raises(ENOSPC):
        f.pwrite_at(b"h", 50 * MIB)
    f.truncate_at(0)
    assert fs.statfs().bfree == 256
    assert f.pwrite_at(b"w" * 5000, 0) == 5000
    assert fs.statfs().bfree == 254


def test_partial_write_stops_at_a_page_boundary(fs):
    root = fs.root()
    f = new_file(fs, root, b"a")
    assert f.pwrite_at(b"x" * (MIB - 4096), 0) == MIB - 4096
    # One page left: a write from the middle of a page fills up to the end of that page.
    assert f.pwrite_at(b"y" * 9000, MIB - 4096 + 100) == 4096 - 100


def test_fallocate_is_all_or_nothing(fs):
    root = fs.root()
    f = new_file(fs, root, b"a")
    with pytest.raises(ENOSPC):
        f.allocate(0, 0, 2 * MIB)
    assert f.size() == 0 and fs.statfs().bfree == 256
    f.allocate(0, 0, MIB // 2)
    assert f.size() == MIB // 2 and fs.statfs().bfree == 128
    f.allocate(FALLOC_FL_KEEP_SIZE, MIB // 2, MIB // 2)
    assert f.size() == MIB // 2 and fs.statfs().bfree == 0
    f.allocate(0, 0, 4096)  # already allocated: no room needed
    assert f.pwrite_at(b"w" * 4096, 8192) == 4096  # into allocated pages: fits
    with pytest.raises(EOPNOTSUPP):
        f.allocate(8, 0, 4096)  # COLLAPSE_RANGE: not on shmem


def test_unlink_gives_the_pages_back_when_the_last_reference_goes(fs):
    root = fs.root()
    f = new_file(fs, root, b"a")
    f.pwrite_at(b"x" * MIB, 0)
    root.unlink(None, b"a")
    assert fs.statfs().bfree == 0  # still open
    g = new_file(fs, root, b"b")
    with pytest.raises(ENOSPC):
        g.pwrite_at(b"y", 0)
    del f
    gc.collect()
    assert fs.statfs().bfree == 256
    assert g.pwrite_at(b"y", 0) == 1


def test_no_limit_without_size():
    fs = TmpfsFS()
    f = new_file(fs, fs.root(), b"a")
    assert f.pwrite_at(b"x" * 3 * MIB, 0) == 3 * MIB


def test_nr_inodes_counts_inodes_and_hard_links():
    from sentry.vfs.fsimpl.tmpfs import parse_inodes

    assert parse_inodes(["nr_inodes=5"]) == 5 and parse_inodes(["nr_inodes=2k"]) == 2048
    fs = TmpfsFS(0, 3)
    root = fs.root()  # the root is one
    a = root.create(None, b"a", S_IFREG | 0o644)
    root.mkdir(None, b"d", 0o040755)
    assert fs.statfs().files == 3 and fs.statfs().ffree == 0
    with pytest.raises(ENOSPC):
        root.create(None, b"b", S_IFREG | 0o644)
    with pytest.raises(ENOSPC):
        root.link(None, b"h", a)  # a hard link takes one too
    root.rmdir(None, b"d")
    gc.collect()
    root.link(None, b"h", a)
    assert fs.statfs().ffree == 0
    root.unlink(None, b"h")  # one of two links: its slot comes back
    assert fs.statfs().ffree == 1
