"""A rw bind mount cannot be used to write outside it on the host: symlinks planted in the
bind (`../../..`, an absolute host path, /etc) resolve inside the sandbox's view, as they
would inside a chroot, and a symlink the workload makes is never followed by the Sentry."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from tests.runtime import test_oci
from tests.runtime.test_oci import Runtime

pytestmark = test_oci.pytestmark
oci_rt = test_oci.rt  # the fixture, under this name here


def test_symlinks_in_a_rw_bind_do_not_lead_out(oci_rt: Runtime, tmp_path: Path) -> None:
    tag = f"runsc-escape-{uuid.uuid4().hex[:8]}"
    vol, outside = tmp_path / "vol", tmp_path / "outside"
    vol.mkdir()
    outside.mkdir()
    os.symlink("../../../../../../../../..", vol / "up")
    os.symlink(str(outside), vol / "abs")
    os.symlink("/etc", vol / "etc")
    os.symlink(str(tmp_path), vol / "tmpdir")
    oci_rt.config["mounts"].append({"destination": "/vol", "type": "bind", "source": str(vol),
                                "options": ["rbind", "rw"]})
    script = (f"echo a > /vol/up/tmp/{tag}; echo b > /vol/abs/{tag} || echo abs-enoent;"
              f" echo c > /vol/etc/{tag} && cat /etc/{tag};"
              f" echo d > /vol/tmpdir/{tag} || echo tmpdir-enoent;"
              f" ln -s / /vol/mine && echo e > /vol/mine/tmp/{tag}2 && cat /tmp/{tag}2;"
              f" cat /tmp/{tag}")
    oci_rt.write(args=["sh", "-c", script])
    p = oci_rt("run", "esc")
    out = p.stdout.decode().splitlines()
    assert out == ["abs-enoent", "c", "tmpdir-enoent", "e", "a"], p.stderr
    # Nothing reached the host outside the bind.
    for host in (Path("/tmp") / tag, Path("/etc") / tag, outside / tag, tmp_path / tag,
                 Path("/tmp") / f"{tag}2", oci_rt.bundle / "rootfs" / "etc" / tag):
        assert not host.exists(), host
    assert os.listdir(outside) == []
    # Only the workload's own symlink was added to the bind, stored as given.
    assert sorted(os.listdir(vol)) == ["abs", "etc", "mine", "tmpdir", "up"]
    assert os.readlink(vol / "mine") == "/"
