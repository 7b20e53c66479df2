"""Terminal job control, differentially: probes/tty/jobs.c runs as the foreground job of
a pseudo-terminal (a tiny shell owns the terminal and starts it in its own process group,
as an interactive shell would), natively and sandboxed, and must print the same.

Sandboxed, the guest's init sits in the session and group of `runsc_py do`, which lie
outside the sandbox's PID namespace (0 inside); the probe only prints facts that hold in
both (tcgetsid(0) == getsid(0), …).
"""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import threading

# A session leader owning the terminal runs argv as its foreground job, like a shell.
_SHELL = """
import fcntl, os, signal, sys, termios
os.setsid()
fcntl.ioctl(0, termios.TIOCSCTTY, 0)
pid = os.fork()
if pid == 0:
    signal.signal(signal.SIGTTOU, signal.SIG_IGN)
    os.setpgid(0, 0)
    os.tcsetpgrp(0, os.getpgrp())
    signal.signal(signal.SIGTTOU, signal.SIG_DFL)
    os.execvp(sys.argv[1], sys.argv[1:])
_, st = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(st) & 0xFF)
"""



def _run_on_pty(argv: list[str], env: dict[str, str]) -> tuple[int, bytes]:
    master, slave = pty.openpty()

    def drain() -> None:  # what the probe writes to the terminal itself
        try:
            while os.read(master, 4096):
                pass
        except OSError:
            pass

    threading.Thread(target=drain, daemon=True).start()
    try:
        p = subprocess.run([sys.executable, "-c", _SHELL, *argv], stdin=slave,
                           capture_output=True, env=env, timeout=120)
    finally:
        os.close(slave)
        os.close(master)
    assert not p.stderr or b"Traceback" not in p.stderr, p.stderr.decode(errors="replace")
    return p.returncode, p.stdout


def test_tty_job_control(probe, sandbox_platform, runsc_argv, common_env) -> None:
    binary = str(probe("tty/jobs"))
    rc, native = _run_on_pty([binary], common_env)
    assert rc == 0, native.decode()
    rc, out = _run_on_pty(runsc_argv(sandbox_platform, [binary]), common_env)
    assert out.decode() == native.decode()
    assert rc == 0


def test_pty_probe_with_the_sentry_a_session_leader(sandbox_platform: str, probe,
                                                    run_native, run_sandboxed,
                                                    describe) -> None:
    """The pty probe's background-job checks (SIGTTIN, SIGTTOU stop the job) with
    `runsc_py` started as a session leader, as a container shim starts a runtime: the
    sandbox's host process group is then orphaned, where the host drops SIGTTIN/SIGTTOU
    with their default action (the Sentry sends SIGSTOP for them; jobctl.host_signal)."""
    binary = str(probe("pty"))
    native = run_native([binary, "unused"])
    boxed = run_sandboxed(sandbox_platform, [binary, "unused"], start_new_session=True)
    assert native.returncode == 0
    assert (boxed.stdout, boxed.returncode) == (native.stdout, 0), describe(boxed)
