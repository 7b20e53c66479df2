"""Container start-to-exit: `ctr run --rm` of /bin/true with runsc_py vs runc, in one run.

Both go through the same containerd (started here, as tests/runtime/test_containerd.py
does) and its runc v2 shim; only the runtime binary differs (`--runc-binary`). Each round
is one whole `ctr run --rm` (create, start, the workload, delete) with each runtime, the
order alternating from round to round. Target: runsc_py within
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
import time
from pathlib import Path

import pytest

from bench.conftest import INFO, RESULTS
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


def test_ctr_run_true(benchmark, ctrd) -> None:
    """Each round runs both runtimes, the order alternating, so that load from elsewhere
    hits both alike."""
    binaries = {"runc": shutil.which("runc"), "runsc_py": runsc_py_binary(ctrd.runtime)}
    name = "ctr run --rm /bin/true"
    samples: dict[str, list[float]] = {r: [] for r in binaries}
    INFO[name] = {"kind": "oci", "unit": "s",
                  "what": "containerd's runc v2 shim, `ctr run --rm` of /bin/true"}

    def once(runtime: str) -> float:
        cid = f"b{runtime.replace('_', '')}{next(_ids)}"
        t0 = time.perf_counter()
        p = ctrd.ctr("run", "--rm", "--snapshotter", "native", "--runc-binary",
                     binaries[runtime], "--runc-root", str(ctrd.d / f"root-{runtime}"), IMAGE,
                     cid, "/bin/true")
        elapsed = time.perf_counter() - t0
        assert p.returncode == 0, p.stderr.decode()
        return elapsed

    for r in binaries:
        once(r)  # warm-up: the snapshot and the page cache
    rounds = itertools.count()

    def one_round() -> None:
        order = list(binaries) if next(rounds) % 2 == 0 else list(reversed(binaries))
        for r in order:
            samples[r].append(once(r))

    benchmark.group = name
    benchmark.pedantic(one_round, rounds=ROUNDS, iterations=1, warmup_rounds=0)
    for r, s in samples.items():
        RESULTS[(name, r)] = s
    benchmark.extra_info.update(kind="oci", unit="s", samples=samples,
                                binaries={r: str(b) for r, b in binaries.items()})
