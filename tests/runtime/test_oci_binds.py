"""config.json bind mounts through `runsc_py run`: a rw bind writes through to the host
directory (create, append, rename, delete seen by the host afterwards, as with runc), a ro
bind gives EROFS, and the root file system is still never written."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.runtime import test_oci
from tests.runtime.test_oci import Runtime

pytestmark = test_oci.pytestmark
oci_rt = test_oci.rt  # the fixture, under this name here

EXTRA_APPLETS = ("mv", "rm", "ln", "rmdir", "chmod", "readlink")


def add_applets(r: Runtime) -> None:
    for a in EXTRA_APPLETS:
        link = r.bundle / "rootfs" / "bin" / a
        if not link.exists():
            link.symlink_to("busybox")


def test_rw_bind_writes_reach_the_host(oci_rt: Runtime, tmp_path: Path) -> None:
    add_applets(oci_rt)
    vol = tmp_path / "vol"
    vol.mkdir()
    (vol / "old").write_text("old\n")
    (vol / "keep").write_text("kept\n")
    oci_rt.config["mounts"] += [
        {"destination": "/vol", "type": "bind", "source": str(vol), "options": ["rbind", "rw"]},
        {"destination": "/rovol", "type": "bind", "source": str(vol),
         "options": ["rbind", "ro"]}]
    oci_rt.write(args=["sh", "-c",
                   "cd /vol && echo one > a && echo two >> a && mv a b && mkdir -p d/e &&"
                   " mv b d/c && rm old && echo tmp > gone && rm gone && rmdir d/e &&"
                   " ln -s c d/link && chmod 600 keep && echo made > /made-in-root &&"
                   " cat /rovol/d/c && { touch /rovol/x 2>/dev/null || echo ro-refused; }"])
    p = oci_rt("run", "b1")
    assert p.returncode == 0, p.stderr
    assert p.stdout.decode().splitlines() == ["one", "two", "ro-refused"], p.stderr
    assert sorted(os.listdir(vol)) == ["d", "keep"]
    assert (vol / "d" / "c").read_text() == "one\ntwo\n"
    assert os.readlink(vol / "d" / "link") == "c"
    assert (vol / "keep").stat().st_mode & 0o777 == 0o600
    assert not (vol / "d" / "e").exists() and not (vol / "x").exists()
    assert not (oci_rt.bundle / "rootfs" / "made-in-root").exists()


@pytest.mark.parametrize("opts", [["rbind", "rw"], ["bind"]])
def test_rw_file_bind_writes_reach_the_host(oci_rt: Runtime, tmp_path: Path, opts) -> None:
    log = tmp_path / "termination-log"
    log.write_text("")
    oci_rt.config["mounts"].append({"destination": "/dev/termination-log", "type": "bind",
                                "source": str(log), "options": opts})
    oci_rt.write(args=["sh", "-c", "echo bye > /dev/termination-log"])
    p = oci_rt("run", "b2")
    assert p.returncode == 0, p.stderr
    assert log.read_text() == "bye\n"


def test_mountinfo_shows_binds_and_readonly_paths(oci_rt: Runtime, tmp_path: Path) -> None:
    """/proc/self/mountinfo: a file bind's root is the file, a readonlyPaths remount's root
    is the path within its filesystem; mounts and mountinfo list the same mount points."""
    conf = tmp_path / "my conf"
    conf.write_text("x\n")
    oci_rt.config["mounts"].append({"destination": "/etc/my conf", "type": "bind",
                                    "source": str(conf), "options": ["rbind", "ro"]})
    oci_rt.config.setdefault("linux", {})["readonlyPaths"] = ["/proc/sys"]
    oci_rt.write(args=["sh", "-c", "cat /proc/self/mountinfo; echo ==; cat /proc/self/mounts"])
    p = oci_rt("run", "mi1")
    assert p.returncode == 0, p.stderr
    info, mounts = p.stdout.decode().split("==\n")
    rows = [ln.split() for ln in info.splitlines()]
    points = [r[4] for r in rows]
    assert points == [ln.split()[1] for ln in mounts.splitlines()]
    assert rows[0][4] == "/" and rows[0][0] == rows[0][1]
    conf_row = rows[points.index("/etc/my\\040conf")]
    assert conf_row[3] == "/my\\040conf" and conf_row[5].startswith("ro,")
    sys_row = rows[points.index("/proc/sys")]
    assert sys_row[3] == "/sys" and sys_row[5].startswith("ro,")
    assert sys_row[sys_row.index("-") + 1] == "proc"
