"""podman (with conmon) driving runsc_py as its OCI runtime: private storage, the local
busybox image loaded from the tarball the tests build, no network."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tests.runtime import oci_image
from tests.runtime.test_containerd import IMAGE, wrapper_script

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="podman as root"),
    pytest.mark.skipif(not (shutil.which("podman") and shutil.which("conmon")),
                       reason="podman is not installed (scripts/install-deps.sh)"),
]
TIMEOUT = 120

# Root here cannot raise rlimits above their hard limit (podman's default ulimits would);
# the cgroupfs manager and file events need no systemd.
CONF = """[containers]
default_ulimits = []
netns = "none"
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
"""


class Podman:
    def __init__(self, d) -> None:
        self.d = d
        self.runtime = wrapper_script(d / "runsc_py")
        (d / "containers.conf").write_text(CONF)
        self.env = dict(os.environ, CONTAINERS_CONF=str(d / "containers.conf"))

    def __call__(self, *args: str, **kw) -> subprocess.CompletedProcess:
        kw.setdefault("capture_output", True)
        kw.setdefault("timeout", TIMEOUT)
        kw.setdefault("stdin", subprocess.DEVNULL)
        base = ["podman", "--root", str(self.d / "root"), "--runroot", str(self.d / "run"),
                "--storage-driver", "vfs", "--tmpdir", str(self.d / "tmp"),
                "--runtime", str(self.runtime)]
        return subprocess.run([*base, *args], env=self.env, **kw)


@pytest.fixture(scope="module")
def podman(tmp_path_factory):
    d = tmp_path_factory.mktemp("podman")
    pm = Podman(d)
    tarball = d / "busybox.tar"
    oci_image.build(tarball, IMAGE)
    p = pm("load", "-i", str(tarball))
    assert p.returncode == 0, p.stderr.decode()
    yield pm
    pm("rm", "--all", "--force")
    pm("rmi", "--all", "--force")


def test_podman_run_rm(podman) -> None:
    p = podman("run", "--rm", IMAGE, "sh", "-c", "echo hi from podman; id -u; exit 6")
    assert p.returncode == 6, p.stderr.decode()
    assert p.stdout.decode().splitlines() == ["hi from podman", "0"]


def test_podman_exec_and_stop(podman) -> None:
    p = podman("run", "-d", "--name", "pm1", IMAGE, "sleep", "1000")
    assert p.returncode == 0, p.stderr.decode()
    try:
        p = podman("exec", "pm1", "sh", "-c", "echo in-exec; cat /proc/1/cmdline; exit 2")
        assert p.returncode == 2, p.stderr.decode()
        assert p.stdout.decode().startswith("in-exec\nsleep")
        # sleep as PID 1 ignores TERM: podman falls back to KILL, as with runc.
        assert podman("stop", "-t", "1", "pm1").returncode == 0
    finally:
        podman("rm", "--force", "pm1")
