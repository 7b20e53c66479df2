"""sentry/platform/libseccomp.py (our ctypes binding) builds the filters libseccomp's own
Python bindings build: the same BPF, byte for byte, for every filter the Sentry makes."""

from __future__ import annotations

import subprocess
import sys
import tempfile

import pytest

from sentry.platform import filter as bpf
from sentry.platform import libseccomp, sentry_filter

pyseccomp = pytest.importorskip("pyseccomp")


def _export(f) -> bytes:
    with tempfile.TemporaryFile() as t:
        f.export_bpf(t)
        t.seek(0)
        return t.read()


def _with(module, build):
    """Runs `build` with filter.py and sentry_filter.py building through `module`."""
    saved = bpf._sc
    bpf._sc = lambda: module
    try:
        return build()
    finally:
        bpf._sc = saved


def _sentry_filter(sc, mode: str, network: str, container: bool, rmdir_dirfds=()):
    """sentry_filter.build's rules, made with `sc` (pyseccomp or ours)."""
    f = sc.SyscallFilter(sc.KILL_PROCESS if mode == "kill" else sc.LOG)
    f.set_attr(sc.Attr.ACT_BADARCH, sc.KILL_PROCESS)
    for name in sentry_filter.allowed_names(network, container):
        f.add_rule(sc.ALLOW, name)
    for fd in rmdir_dirfds:
        f.add_rule(sc.ALLOW, "unlinkat", sc.Arg(0, sc.EQ, fd),
                   sc.Arg(2, sc.EQ, sentry_filter.AT_REMOVEDIR))
    return f


@pytest.mark.parametrize("which", ["seccomp_filter", "ptrace_filter"])
def test_platform_filters_same_bpf_as_pyseccomp(which) -> None:
    ours = bpf.export_bpf(getattr(bpf, which)())
    theirs = _with(pyseccomp, lambda: _export(getattr(bpf, which)()))
    assert ours == theirs and len(ours) % 8 == 0 and ours


def test_platform_filter_same_pfc_as_pyseccomp() -> None:
    assert bpf.export_pfc(bpf.seccomp_filter()) == _with(
        pyseccomp, lambda: bpf.export_pfc(bpf.seccomp_filter()))


@pytest.mark.parametrize("mode", ["kill", "log"])
@pytest.mark.parametrize("network", ["none", "host"])
@pytest.mark.parametrize("container", [False, True])
@pytest.mark.parametrize("rmdir_dirfds", [(), (7, 9)])
def test_sentry_filter_same_bpf_as_pyseccomp(mode, network, container, rmdir_dirfds) -> None:
    ours = bpf.export_bpf(sentry_filter.build(mode, network, container, rmdir_dirfds))
    args = (mode, network, container, rmdir_dirfds)
    assert ours == _export(_sentry_filter(pyseccomp, *args))
    assert ours == bpf.export_bpf(_sentry_filter(libseccomp, *args))


def test_errors() -> None:
    f = libseccomp.SyscallFilter(libseccomp.ALLOW)
    with pytest.raises(ValueError, match="nosuchcall"):
        f.add_rule(libseccomp.KILL_PROCESS, "nosuchcall")
    with pytest.raises(OSError):  # the default action again: libseccomp refuses it
        f.add_rule(libseccomp.ALLOW, "getpid")
    with pytest.raises(ValueError):
        f.add_rule(libseccomp.KILL_PROCESS, "getpid", *[libseccomp.Arg(0, libseccomp.EQ, 1)] * 7)


def test_load_applies_the_filter() -> None:
    """A filter that makes getpgid fail with EPERM, loaded in a child."""
    code = ("import os; from sentry.platform import libseccomp as sc; "
            "f = sc.SyscallFilter(sc.ALLOW); f.add_rule(sc.ERRNO(1), 'getpgid'); f.load()\n"
            "try:\n    os.getpgid(0); print('allowed')\n"
            "except PermissionError:\n    print('EPERM')\n")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert p.stdout.strip() == "EPERM", p.stderr
