"""Shared fixtures: how tests start `runsc_py` and run commands natively with the same env.

The project is not installed while it is developed: the repo root goes on sys.path here and
on PYTHONPATH for the `python -m runsc_py` subprocesses.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

PLATFORMS = ("seccomp", "ptrace")
TIMEOUT = 120

Runner = Callable[..., subprocess.CompletedProcess]


def _env() -> dict[str, str]:
    """The environment both native and sandboxed runs get: same locale, zone and PATH."""
    env = dict(os.environ)
    env.update(LC_ALL="C", LANG="C", TZ="UTC", PYTHONPATH=str(REPO))
    env.pop("PYTHONHOME", None)
    return env


def _runsc_argv(platform: str, argv: Sequence[str], flags: Sequence[str] = ()) -> list[str]:
    """`python -m runsc_py --platform=P [flags] do argv...`."""
    return [sys.executable, "-m", "runsc_py", f"--platform={platform}", *flags, "do", *argv]


def _run(cmd: Sequence[str], **kw: object) -> subprocess.CompletedProcess:
    kw.setdefault("env", _env())
    kw.setdefault("capture_output", True)
    kw.setdefault("timeout", TIMEOUT)
    kw.setdefault("stdin", subprocess.DEVNULL)
    return subprocess.run(list(cmd), **kw)  # type: ignore[call-overload]


@pytest.fixture(params=PLATFORMS)
def sandbox_platform(request: pytest.FixtureRequest) -> str:
    """Each platform in turn: a test that takes this runs once per platform."""
    return request.param


@pytest.fixture
def run_native() -> Runner:
    """run_native(argv, **subprocess_kw) -> CompletedProcess (bytes; env: see `common_env`)."""

    def run(argv: Sequence[str], **kw: object) -> subprocess.CompletedProcess:
        return _run(argv, **kw)

    return run


@pytest.fixture
def run_sandboxed() -> Runner:
    """run_sandboxed(platform, argv, flags=(), **subprocess_kw) -> CompletedProcess."""

    def run(
        platform: str, argv: Sequence[str], flags: Sequence[str] = (), **kw: object
    ) -> subprocess.CompletedProcess:
        return _run(_runsc_argv(platform, argv, flags), **kw)

    return run


def _describe(p: subprocess.CompletedProcess) -> str:
    """A failure message: the command, its status and both streams (cut)."""

    def cut(b: bytes | str | None) -> str:
        s = b.decode(errors="replace") if isinstance(b, bytes) else (b or "")
        return s if len(s) < 4000 else s[:2000] + "\n[...]\n" + s[-2000:]

    return (
        f"command: {p.args}\nstatus: {p.returncode}\n"
        f"--- stdout\n{cut(p.stdout)}\n--- stderr\n{cut(p.stderr)}"
    )


@pytest.fixture
def common_env() -> dict[str, str]:
    """The environment native and sandboxed runs share (LC_ALL=C, TZ=UTC, PYTHONPATH=repo)."""
    return _env()


@pytest.fixture
def runsc_argv() -> Callable[..., list[str]]:
    """runsc_argv(platform, argv, flags=()) -> the command line that sandboxes argv."""
    return _runsc_argv


@pytest.fixture
def describe() -> Callable[[subprocess.CompletedProcess], str]:
    """describe(completed) -> a failure message with the command, status and both streams."""
    return _describe
