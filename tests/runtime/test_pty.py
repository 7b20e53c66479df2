"""Acceptance: programs that need a working pty inside the sandbox (devpts + ptmx)."""

from __future__ import annotations

import shutil

import pytest

SPAWN = (
    "import pty, sys\n"
    "status = pty.spawn(['/bin/sh', '-c', 'tty; stty -a | head -1; read x; echo got $x'])\n"
    "sys.exit(status >> 8)\n"
)


def test_python_pty_spawn(sandbox_platform: str, run_sandboxed, describe) -> None:
    # The child's tty is /dev/pts/N, stty sees a terminal, and input typed into the master
    # goes through the line discipline (echo + canonical line) to the child.
    p = run_sandboxed(sandbox_platform, ["/usr/bin/python3", "-c", SPAWN], input=b"abc\n",
                      stdin=None)
    out = p.stdout.replace(b"\r\n", b"\n")
    assert p.returncode == 0, describe(p)
    # The echo of the input may come first: it is written before the child runs.
    assert any(line.startswith(b"/dev/pts/") for line in out.splitlines()), describe(p)
    assert b"speed 38400 baud; rows 0; columns 0;" in out, describe(p)
    assert b"got abc" in out, describe(p)


@pytest.mark.skipif(shutil.which("script") is None, reason="util-linux script is missing")
def test_script(sandbox_platform: str, run_sandboxed, describe) -> None:
    # script(1) waits on a signalfd (SIGCHLD, SIGWINCH …) and a poll of it with the pty.
    p = run_sandboxed(sandbox_platform, ["script", "-qc", "tty; echo hello", "/dev/null"])
    out = p.stdout.replace(b"\r\n", b"\n")
    assert p.returncode == 0 and b"hello\n" in out and out.startswith(b"/dev/pts/"), describe(p)


@pytest.mark.skipif(shutil.which("script") is None, reason="util-linux script is missing")
def test_script_exit_status(sandbox_platform: str, run_sandboxed, describe) -> None:
    # script -e learns of the child's exit from a SIGCHLD record read off its signalfd.
    p = run_sandboxed(sandbox_platform, ["script", "-qec", "echo hi; exit 3", "/dev/null"])
    assert p.returncode == 3 and b"hi" in p.stdout, describe(p)


@pytest.mark.skipif(shutil.which("script") is None, reason="util-linux script is missing")
def test_dev_console_is_the_terminal(sandbox_platform: str, describe) -> None:
    # Run from a terminal, the init's terminal is /dev/console (runc bind-mounts the
    # console pty there); without one there is no /dev/console (runc, runsc).
    import shlex
    import subprocess

    from tests.conftest import _env, _runsc_argv

    check = ("stat -c %t:%T /dev/console; stat -L -c %t:%T /proc/self/fd/0; "
             "echo to-console > /dev/console")
    argv = _runsc_argv(sandbox_platform, ["/bin/sh", "-c", check], ())
    p = subprocess.run(["script", "-qc", shlex.join(argv), "/dev/null"], capture_output=True,
                       stdin=subprocess.DEVNULL, env=_env(), timeout=120)
    lines = p.stdout.replace(b"\r\n", b"\n").split(b"\n")
    assert p.returncode == 0 and lines[0] == lines[1] and lines[0].startswith(b"88:"), \
        describe(p)
    assert b"to-console" in p.stdout, describe(p)
    q = subprocess.run(_runsc_argv(sandbox_platform, ["/bin/sh", "-c", "ls /dev/console"], ()),
                       capture_output=True, stdin=subprocess.DEVNULL, env=_env(), timeout=120)
    assert q.returncode != 0 and b"No such file" in q.stderr, describe(q)
