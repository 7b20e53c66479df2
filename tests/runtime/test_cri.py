"""The CRI path, as kubelet drives it: containerd's CRI plugin with a runtime handler
`runsc_py` (runtime_type io.containerd.runc.v2, BinaryName = runsc_py), a pod with host
networking (no CNI plugin), a container, ExecSync, stop and removal."""

from __future__ import annotations

import os
import shutil
import time

import pytest

from tests.runtime import oci_image
from tests.runtime.test_containerd import IMAGE, Containerd

grpc = pytest.importorskip("grpc")

from tests.runtime.cri_client import CRI  # noqa: E402 - needs grpc

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="containerd needs root"),
    pytest.mark.skipif(not (shutil.which("containerd") and shutil.which("ctr")),
                       reason="containerd is not installed (scripts/install-deps.sh)"),
]
PAUSE = "localhost/pause:test"

# restrict_oom_score_adj: the pod sandbox asks for -998, which root may not set here.
CONFIG = """version = 2
root = "{d}/root"
state = "{d}/state"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]
[grpc]
  address = "{d}/c.sock"
[ttrpc]
  address = "{d}/c.sock.ttrpc"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "localhost/pause:test"
  restrict_oom_score_adj = true
  disable_apparmor = true
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "{d}/cni-bin"
    conf_dir = "{d}/cni-conf"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "native"
    default_runtime_name = "runsc_py"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runsc_py]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runsc_py.options]
        BinaryName = "{runtime}"
        Root = "{d}/runsc-root"
"""


@pytest.fixture(scope="module")
def cri(tmp_path_factory):
    d = tmp_path_factory.mktemp("cri")
    c = Containerd(d, CONFIG, namespace="k8s.io")
    client = None
    try:
        for ref, cmd in ((IMAGE, ("sh",)), (PAUSE, ("sleep", "2000000000"))):
            tarball = d / f"{ref.split('/')[1].replace(':', '-')}.tar"
            oci_image.build(tarball, ref, cmd)
            p = c.ctr("images", "import", "--snapshotter", "native", str(tarball))
            assert p.returncode == 0, p.stderr.decode()
        client = CRI(str(d / "c.sock"))
        yield client, d
    finally:
        if client is not None:
            client.close()
        c.stop()


def test_pod_lifecycle_through_cri(cri) -> None:
    client, d = cri
    logs = d / "pod-logs"
    logs.mkdir()
    sandbox = CRI.sandbox_config("pod1", str(logs))
    pod = client.run_pod_sandbox(sandbox, "runsc_py")
    try:
        # The pod sandbox (the pause container) runs in our runtime's state dir.
        assert (d / "runsc-root" / "k8s.io" / pod / "control.sock").exists()
        cid = client.create_container(pod, sandbox, "app", IMAGE,
                                      ["sh", "-c", "echo app-started; sleep 1000"])
        client.start_container(cid)
        out, err, code = client.exec_sync(cid, ["sh", "-c", "echo via-exec-sync; exit 3"])
        assert (out, code) == (b"via-exec-sync\n", 3), err
        out, _, code = client.exec_sync(cid, ["cat", "/proc/1/cmdline"])
        assert out == b"sleep\x001000\x00" and code == 0  # sh exec()s its last command
        out, _, code = client.exec_sync(cid, ["cat", "/etc/hostname"])  # CRI's file bind
        assert (out, code) == (b"pod1\n", 0)
        deadline = time.monotonic() + 60
        while b"app-started" not in (logs / "app.log").read_bytes():
            assert time.monotonic() < deadline
            time.sleep(0.1)
        client.stop_container(cid, timeout=1)
        state, _ = client.container_state(cid)
        assert state == 2  # CONTAINER_EXITED
        client.remove_container(cid)
    finally:
        client.stop_pod_sandbox(pod)
        client.remove_pod_sandbox(pod)
    assert not (d / "runsc-root" / "k8s.io" / pod).exists()
