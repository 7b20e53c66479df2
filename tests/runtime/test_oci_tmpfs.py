"""config.json tmpfs size=: a differential probe (tests/runtime/probes/tmpfs_size.c) run
natively on real tmpfs mounts (size=1m; nr_inodes=5) and in a container with the same
tmpfs mounts in config.json: same output (ENOSPC where Linux gives it, statfs figures)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.runtime import test_oci
from tests.runtime.test_oci import Runtime

pytestmark = test_oci.pytestmark
oci_rt = test_oci.rt  # the fixture, under this name here
PROBE = Path(__file__).resolve().parent / "probes" / "tmpfs_size.c"


def native(binary: Path, tmp: Path) -> str:
    mnts = [tmp / "native-size", tmp / "native-inodes"]
    mounted = []
    try:
        for mnt, opt in zip(mnts, ("size=1m", "nr_inodes=5"), strict=True):
            mnt.mkdir()
            if subprocess.run(["mount", "-t", "tmpfs", "-o", opt, "none", str(mnt)]).returncode:
                pytest.skip("cannot mount a tmpfs here")
            mounted.append(mnt)
        return subprocess.run([str(binary), *map(str, mnts)], capture_output=True,
                              check=True, timeout=120).stdout.decode()
    finally:
        for mnt in mounted:
            subprocess.run(["umount", str(mnt)], check=True)


def test_tmpfs_size_limit_matches_linux(oci_rt: Runtime, tmp_path: Path) -> None:
    binary = tmp_path / "tmpfs_size"
    subprocess.run(["gcc", "-O1", "-static", "-o", str(binary), str(PROBE)], check=True)
    want = native(binary, tmp_path)
    assert "ENOSPC" in want and "inodes: files=5 ffree=4" in want
    (oci_rt.bundle / "rootfs" / "probe").write_bytes(binary.read_bytes())
    (oci_rt.bundle / "rootfs" / "probe").chmod(0o755)
    oci_rt.config["mounts"].append({"destination": "/t", "type": "tmpfs", "source": "tmpfs",
                                    "options": ["nosuid", "size=1m", "mode=1777"]})
    oci_rt.config["mounts"].append({"destination": "/n", "type": "tmpfs", "source": "tmpfs",
                                    "options": ["nr_inodes=5"]})
    oci_rt.write(args=["/probe", "/t", "/n"])
    p = oci_rt("run", "tsz")
    assert p.returncode == 0, p.stderr
    assert p.stdout.decode() == want, p.stderr
