"""Python's process and thread machinery inside the sandbox (issue 3's acceptance, in part)."""

from __future__ import annotations

import pytest

PROG = """
import multiprocessing, subprocess, threading
r = subprocess.run(["/bin/echo", "sub"], capture_output=True)
print(r.returncode, r.stdout)
out = []
t = threading.Thread(target=out.append, args=("thread",)); t.start(); t.join()
print(out)
with multiprocessing.Pool(2) as p:
    print(p.map(abs, [-1, -2, 3]))
"""


@pytest.mark.parametrize("platform", ["seccomp", "ptrace"])
def test_subprocess_threads_and_a_pool(platform, run_sandboxed, describe) -> None:
    p = run_sandboxed(platform, ["/usr/bin/python3", "-c", PROG])
    assert p.returncode == 0, describe(p)
    assert p.stdout == b"0 b'sub\\n'\n['thread']\n[1, 2, 3]\n", describe(p)
