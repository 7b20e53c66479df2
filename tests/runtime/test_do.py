"""Acceptance of `runsc_py do CMD` on both platforms, through the CLI.

Native and sandboxed runs share one environment (LC_ALL=C, TZ=UTC: see tests/conftest.py),
so outputs that depend on it compare exactly.
"""

from __future__ import annotations

import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.conftest import _env, _runsc_argv


def test_echo(sandbox_platform: str, run_sandboxed, describe) -> None:
    p = run_sandboxed(sandbox_platform, ["/bin/echo", "hello"])
    assert (p.stdout, p.returncode) == (b"hello\n", 0), describe(p)


def test_exit_status(sandbox_platform: str, run_sandboxed, describe) -> None:
    p = run_sandboxed(sandbox_platform, ["/bin/sh", "-c", "exit 7"])
    assert p.returncode == 7, describe(p)


def test_killed_by_signal(sandbox_platform: str, run_sandboxed, describe) -> None:
    # A fault is forced even on pid 1; the sandbox exits 128+SIGSEGV like a shell reports it.
    code = "import ctypes; ctypes.string_at(0)"
    p = run_sandboxed(sandbox_platform, ["/usr/bin/python3", "-c", code])
    assert p.returncode == 128 + 11, describe(p)


def test_pid1_ignores_its_own_signals(sandbox_platform: str, run_sandboxed, describe) -> None:
    # The workload is its pid namespace's init: kill() from inside the namespace cannot end it
    # with a default-action signal (checked natively under `unshare -pf`), a child can die.
    script = 'kill -TERM $$; kill -KILL $$; echo survived; sh -c "kill -TERM \\$\\$"; echo $?'
    p = run_sandboxed(sandbox_platform, ["/bin/sh", "-c", script])
    assert (p.stdout, p.returncode) == (b"survived\n143\n", 0), describe(p)


def test_stdin_passes_through(sandbox_platform: str, run_sandboxed, describe) -> None:
    data = b"line one\nline two\n" * 1000
    p = run_sandboxed(sandbox_platform, ["/bin/cat"], stdin=None, input=data)
    assert (p.stdout == data, p.returncode) == (True, 0), describe(p)


def test_ls_etc_matches_native(sandbox_platform: str, run_native, run_sandboxed, describe) -> None:
    native = run_native(["/bin/ls", "-la", "/etc"])
    assert native.returncode == 0, describe(native)
    p = run_sandboxed(sandbox_platform, ["/bin/ls", "-la", "/etc"])
    assert p.returncode == 0, describe(p)
    assert p.stdout.decode() == native.stdout.decode(), describe(p)


def test_python3(sandbox_platform: str, run_native, run_sandboxed, describe) -> None:
    native = run_native(["/usr/bin/python3", "-c", "import sys; print(sys.version)"])
    assert native.returncode == 0, describe(native)
    code = "import os,sys,json; print(os.getpid(), sys.version)"
    p = run_sandboxed(sandbox_platform, ["/usr/bin/python3", "-c", code])
    assert p.returncode == 0, describe(p)
    assert p.stdout == b"1 " + native.stdout, describe(p)


def test_busybox_static(sandbox_platform: str, run_sandboxed, describe) -> None:
    p = run_sandboxed(sandbox_platform, ["/bin/busybox", "sh", "-c", "echo $((6*7))"])
    assert (p.stdout, p.returncode) == (b"42\n", 0), describe(p)


def test_nonexistent_command(sandbox_platform: str, run_sandboxed, describe) -> None:
    p = run_sandboxed(sandbox_platform, ["/nonexistent"])
    assert p.returncode == 127, describe(p)
    lines = p.stderr.decode(errors="replace").splitlines()
    assert len(lines) == 1 and "/nonexistent" in lines[0], describe(p)
    assert p.stdout == b"", describe(p)


def test_not_executable(
    sandbox_platform: str, tmp_path: Path, run_sandboxed, describe
) -> None:
    f = tmp_path / "script"
    f.write_text("#!/bin/sh\necho should not run\n")
    f.chmod(0o644)
    p = run_sandboxed(sandbox_platform, [str(f)])
    assert p.returncode == 126, describe(p)
    assert p.stdout == b"", describe(p)


def test_strace(sandbox_platform: str, tmp_path: Path, run_sandboxed, describe) -> None:
    f = tmp_path / "traced file.txt"
    f.write_text("traced\n")
    missing = f"/nonexistent-{uuid.uuid4().hex}"
    log = tmp_path / "runsc.log"
    p = run_sandboxed(
        sandbox_platform, ["/bin/cat", str(f), missing], flags=["--strace", f"--log={log}"]
    )
    assert (p.stdout, p.returncode) == (b"traced\n", 1), describe(p)
    text = p.stderr.decode(errors="replace")
    if log.exists():
        text += log.read_text(errors="replace")
    want = [
        rf'openat\(AT_FDCWD, "{re.escape(str(f))}", O_RDONLY\) += 3\b',
        r'\bread\(3, (0x[0-9a-f]+|"traced\\n"), \d+\) += 7\b',  # buffer shown at entry or exit
        r'\bwrite\(1, "traced\\n", 7\) += 7\b',
        rf'openat\(AT_FDCWD, "{missing}", O_RDONLY\) += -1 ENOENT \(No such file or directory\)',
    ]
    for w in want:
        assert re.search(w, text), f"no line matching {w!r} in the trace:\n{text[-4000:]}"


def test_global_flags_after_do(sandbox_platform: str, run_native, describe) -> None:
    # `runsc_py do --platform=P --strace CMD`: flags between `do` and CMD are runsc_py's,
    # everything from CMD on (here an echo argument that looks like a flag) is the workload's.
    cmd = [sys.executable, "-m", "runsc_py", "do", f"--platform={sandbox_platform}", "--strace",
           "/bin/echo", "--platform=none", "hi"]
    p = run_native(cmd)
    assert (p.stdout, p.returncode) == (b"--platform=none hi\n", 0), describe(p)


def test_write_to_etc_stays_in_sandbox(
    sandbox_platform: str, run_sandboxed, describe
) -> None:
    host = Path("/etc", f"runsc-do-test-{uuid.uuid4().hex}")
    # Shell builtins only: this checks where the write lands, not fork.
    script = f'echo data > {host} && read line < {host} && echo "$line"'
    try:
        p = run_sandboxed(sandbox_platform, ["/bin/sh", "-c", script])
        assert (p.stdout, p.returncode) == (b"data\n", 0), describe(p)
        assert not host.exists(), "the sandboxed write reached the host's /etc"
    finally:
        host.unlink(missing_ok=True)


@pytest.mark.parametrize("argv", [["/bin/true"], ["/bin/false"]])
def test_true_false(sandbox_platform: str, argv: list[str], run_sandboxed, describe) -> None:
    p = run_sandboxed(sandbox_platform, argv)
    assert p.returncode == (0 if argv == ["/bin/true"] else 1), describe(p)


@pytest.mark.parametrize("access", ["exclusive", "shared"])
def test_file_access_mode(access: str, tmp_path: Path, describe) -> None:
    """--file-access (gVisor's flag): `shared` sees a host change to the root filesystem made
    while the sandbox runs; `exclusive` (the default) serves the attributes it fetched first.
    The workload stats a host file, waits on stdin while the host grows it, stats again."""
    f = tmp_path / "grows"
    f.write_bytes(b"abc")
    script = f'stat -c %s {f}; read line; stat -c %s {f}; cat {f}; echo'
    cmd = _runsc_argv("seccomp", ["/bin/sh", "-c", script], [f"--file-access={access}"])
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=_env())
    try:
        assert p.stdout.readline() == b"3\n"
        f.write_bytes(b"abcdef")
        out, err = p.communicate(b"go\n", timeout=120)
    finally:
        p.kill()
    size = b"3" if access == "exclusive" else b"6"
    # The contents are always the host's: only attributes are cached.
    assert (out, p.returncode) == (size + b"\nabcdef\n", 0), (out, err[-2000:])


def test_proc_sys_writes_follow_linux(sandbox_platform: str, run_sandboxed, describe) -> None:
    # The sandbox's own sysctls: root writes them (a value Linux refuses is EINVAL, dash's
    # "I/O error"); a non-root user, even with CAP_DAC_OVERRIDE, may not (python drops to
    # uid 1000 keeping the capabilities, then opens for write).
    drop = ("import ctypes, os; libc = ctypes.CDLL(None); libc.prctl(8, 1); "
            "os.setresuid(1000, 1000, 1000); "
            "hdr = (ctypes.c_uint32 * 2)(0x20080522, 0); data = (ctypes.c_uint32 * 6)(); "
            "libc.capget(hdr, data); data[0] = data[1]; data[3] = data[4]; "
            "libc.capset(hdr, data)\n"
            "try:\n open('/proc/sys/kernel/shmmni', 'w')\n"
            "except PermissionError:\n print('non-root: EACCES')")
    script = ("f=/proc/sys/net/ipv4/ip_unprivileged_port_start; echo 80 > $f; cat $f; "
              "echo 99999 > $f || echo refused; cat $f; "
              f"/usr/bin/python3 -c \"{drop}\"")
    p = run_sandboxed(sandbox_platform, ["/bin/sh", "-c", script])
    out = p.stdout.decode().splitlines()
    assert out == ["80", "refused", "80", "non-root: EACCES"], describe(p)
