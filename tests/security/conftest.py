"""Builds the security probes (tests/security/probes/*.c) once per session.

Same convention as tests/syscalls/conftest.py (gcc -O1, `// build: -static` on the first
line), but the binaries go to a session temporary directory: nothing is written into the
repository. The runners (`run_sandboxed`, `describe`) come from tests/conftest.py.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

PROBES = Path(__file__).resolve().parent / "probes"
BASE_FLAGS = ("-O1", "-Wall", "-Werror=implicit-function-declaration", "-pthread")


def _flags(src: Path) -> list[str]:
    first = src.read_text().split("\n", 1)[0].strip()
    extra = first.split("build:", 1)[1].split() if first.startswith("// build:") else []
    return [*BASE_FLAGS, *extra]


@pytest.fixture(scope="session")
def sec_probe(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], str]:
    """sec_probe("high_nr_bits") -> path of the built probe (as a str, for argv)."""
    out_dir = tmp_path_factory.mktemp("security-probes")
    cache: dict[str, str] = {}

    def get(name: str) -> str:
        if name not in cache:
            src = PROBES / f"{name}.c"
            out = out_dir / name
            cmd = ["gcc", *_flags(src), "-o", str(out), str(src)]
            r = subprocess.run(cmd, capture_output=True, text=True)
            if r.returncode != 0:
                pytest.fail(f"building {src.name} failed:\n{' '.join(cmd)}\n{r.stderr}",
                            pytrace=False)
            cache[name] = str(out)
        return cache[name]

    return get
