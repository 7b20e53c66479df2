"""Loads the native trap loop (sentry._native, built by native/build.py) and checks its calls.

The extension embeds the package version and is refused on a mismatch (a stale build
would otherwise run with another struct layout). Every C return code goes through check().
"""

from __future__ import annotations

import os

import sentry

try:
    from sentry._native import ffi, lib
except ImportError as e:  # pragma: no cover - a build problem, reported plainly
    raise ImportError(
        "sentry._native is not built: run `pip install -e .` (or `python3 native/build.py`)"
    ) from e

_built = ffi.string(lib.st_version()).decode()
if _built != sentry.__version__:
    raise ImportError(
        f"sentry._native is version {_built}, the package is {sentry.__version__}: rebuild it")


class HostError(OSError):
    """A host call made by the Sentry itself failed (not a guest error)."""


def check(rc: int, what: str = "") -> int:
    """Returns rc if it is >= 0; raises HostError(-rc) otherwise."""
    if rc < 0:
        raise HostError(-rc, f"{what}: {os.strerror(-rc)}" if what else os.strerror(-rc))
    return rc


def stub_image() -> bytes:
    return bytes(ffi.buffer(lib.st_stub_image(), lib.st_stub_size()))
