"""Container start-to-exit: `ctr run --rm` of /bin/true with runsc_py vs runc, in one run.

Both go through the same containerd (started here, as tests/runtime/test_containerd.py
does) and its runc v2 shim; only the runtime binary differs (`--runc-binary`). Each round
is one whole `ctr run --rm` (create, start, the workload, delete). Target: runsc_py within
2× of runc. Nothing asserts on time.

runsc_py runs as users get it from `make setup` (README's BinaryName): the console script
beside this Python (`make bench` runs the venv's), with the sources compiled as an install
leaves them (PYTHONDONTWRITEBYTECODE would otherwise recompile changed modules at each of
the shim's four calls).
"""

from __future__ import annotations

import compileall
import itertools
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.runtime import oci_image
from tests.runtime.test_containerd import IMAGE, Containerd

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not (shutil.which("containerd") and shutil.which("runc")),
    reason="needs root, containerd and runc")
ROUNDS = 3 if os.environ.get("RUNSC_BENCH_QUICK", "") not in ("", "0") else 10
_ids = itertools.count()


def runsc_py_binary(fallback: Path) -> str:
    """The console script beside this Python if it runs this checkout's runsc_py, else the
    test's wrapper (this Python, `-m runsc_py`)."""
    script = Path(sys.executable).with_name("runsc_py")
    if not script.is_file():
        return str(fallback)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # as the shim runs it
    p = subprocess.run([sys.executable, "-c", "import runsc_py; print(runsc_py.__file__)"],
                       capture_output=True, text=True, env=env, cwd="/")
    found = Path(p.stdout.strip()).resolve() if p.returncode == 0 else None
    return str(script) if found == REPO / "runsc_py" / "__init__.py" else str(fallback)


@pytest.fixture(scope="module")
def ctrd(tmp_path_factory):
    d = tmp_path_factory.mktemp("ctrd")
    for pkg in ("runsc_py", "sentry"):
        compileall.compile_dir(REPO / pkg, quiet=1)
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
    binary = shutil.which("runc") if runtime == "runc" else runsc_py_binary(ctrd.runtime)

    def once() -> None:
        cid = f"b{runtime.replace('_', '')}{next(_ids)}"
        p = ctrd.ctr("run", "--rm", "--snapshotter", "native", "--runc-binary", binary,
                     "--runc-root", str(ctrd.d / f"root-{runtime}"), IMAGE, cid, "/bin/true")
        assert p.returncode == 0, p.stderr.decode()

    once()  # warm-up: the snapshot and the page cache
    benchmark.extra_info["runtime"] = runtime
    benchmark.extra_info["binary"] = binary
    benchmark.pedantic(once, rounds=ROUNDS, iterations=1)
