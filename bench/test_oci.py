"""Container start-to-exit: `ctr run --rm` of /bin/true with runsc_py vs runc, in one run.

Both go through the same containerd (started here, as tests/runtime/test_containerd.py
does) and its runc v2 shim; only the runtime binary differs (`--runc-binary`). Each round
is one whole `ctr run --rm` (create, start, the workload, delete). Target: runsc_py within
2× of runc. Nothing asserts on time.
"""

from __future__ import annotations

import itertools
import os
import shutil

import pytest

from tests.runtime import oci_image
from tests.runtime.test_containerd import IMAGE, Containerd

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not (shutil.which("containerd") and shutil.which("runc")),
    reason="needs root, containerd and runc")
ROUNDS = 3 if os.environ.get("RUNSC_BENCH_QUICK", "") not in ("", "0") else 10
_ids = itertools.count()


@pytest.fixture(scope="module")
def ctrd(tmp_path_factory):
    d = tmp_path_factory.mktemp("ctrd")
    c = Containerd(d)
    try:
        tarball = d / "busybox.tar"
        oci_image.build(tarball, IMAGE)
        assert c.ctr("images", "import", "--snapshotter", "native", str(tarball)).returncode == 0
        yield c
    finally:
        c.stop()


@pytest.mark.parametrize("runtime", ["runc", "runsc_py"])
def test_ctr_run_true(benchmark, ctrd, runtime: str) -> None:
    binary = shutil.which("runc") if runtime == "runc" else str(ctrd.runtime)

    def once() -> None:
        cid = f"b{runtime.replace('_', '')}{next(_ids)}"
        p = ctrd.ctr("run", "--rm", "--snapshotter", "native", "--runc-binary", binary,
                     "--runc-root", str(ctrd.d / f"root-{runtime}"), IMAGE, cid, "/bin/true")
        assert p.returncode == 0, p.stderr.decode()

    once()  # warm-up: the snapshot and the page cache
    benchmark.extra_info["runtime"] = runtime
    benchmark.pedantic(once, rounds=ROUNDS, iterations=1)
