"""Issue 3's acceptance workloads: a shell's job control and plumbing, `make -j2` with gcc,
and 16 Python threads on one Condition, each in the sandbox on both platforms."""

from __future__ import annotations

import shutil

import pytest

PLATFORMS = ["seccomp", "ptrace"]

# Pipelines, $(…), subshells, here-docs, background jobs with wait, trap … INT, kill %1.
SHELL = r"""
echo "pipe: $(echo hello world | tr a-z A-Z | wc -w)"
x=$(echo sub; echo stitution)
echo "cmdsub: $x"
( cd /; echo "subshell: $(pwd)"; exit 3 ); echo "subshell status $?"
cat <<EOT
heredoc: $((2+3))
EOT
sleep 0.2 & sleep 0.1 & wait; echo "waited for background jobs"
sleep 0.1 & p=$!; wait $p; echo "wait pid status $?"
( exit 7 ) & wait $!; echo "background status $?"
trap 'echo trapped INT' INT; kill -INT $$; echo "after trap"
trap - INT
sleep 30 & kill %1; wait %1; echo "kill %1 status $?"
echo end
"""

# A small C project built in the sandbox's writable /tmp (never the host's).
MAKE = r"""
set -e
d=$(mktemp -d /tmp/proj.XXXXXX)
cd "$d"
printf 'int add(int a, int b);\nint mul(int a, int b);\n' > lib.h
printf '#include "lib.h"\nint add(int a, int b) { return a + b; }\n' > add.c
printf '#include "lib.h"\nint mul(int a, int b) { return a * b; }\n' > mul.c
printf '#include <stdio.h>\n#include "lib.h"\n' > main.c
printf 'int main(void) { printf("%%d\\n", add(2, mul(3, 4))); return 0; }\n' >> main.c
printf 'prog: main.o add.o mul.o\n\t$(CC) -o $@ $^\n' > Makefile
printf '%%.o: %%.c lib.h\n\t$(CC) -O1 -c $<\n' >> Makefile
make -s -j2
./prog
"""

THREADS = r"""
import threading
cond, state = threading.Condition(), {"turn": 0, "done": 0}
N, ROUNDS = 16, 20
def worker(i):
    for _ in range(ROUNDS):
        with cond:
            cond.wait_for(lambda: state["turn"] % N == i)
            state["turn"] += 1
            cond.notify_all()
    with cond:
        state["done"] += 1
ts = [threading.Thread(target=worker, args=(i,)) for i in range(N)]
for t in ts: t.start()
for t in ts: t.join()
print(state)
"""


@pytest.mark.parametrize("platform", PLATFORMS)
def test_busybox_shell_job_control(platform, run_native, run_sandboxed, describe) -> None:
    native = run_native(["/bin/busybox", "sh", "-c", SHELL])
    p = run_sandboxed(platform, ["/bin/busybox", "sh", "-c", SHELL])
    assert p.returncode == native.returncode == 0, describe(p)
    assert p.stdout == native.stdout, describe(p)
    assert b"kill %1 status 143" in p.stdout and b"trapped INT" in p.stdout, describe(p)


@pytest.mark.skipif(not (shutil.which("make") and shutil.which("gcc")), reason="no make/gcc")
@pytest.mark.parametrize("platform", PLATFORMS)
def test_make_j2_builds_with_gcc(platform, run_sandboxed, describe) -> None:
    """GNU make waits for its jobs in pselect6 with SIGCHLD unblocked only by the call's
    mask: the parked call must end when a child exits (kernel.signals_sent)."""
    p = run_sandboxed(platform, ["/bin/bash", "-c", MAKE], timeout=300)
    assert (p.stdout, p.returncode) == (b"14\n", 0), describe(p)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_sixteen_threads_on_a_condition(platform, run_sandboxed, describe) -> None:
    p = run_sandboxed(platform, ["/usr/bin/python3", "-c", THREADS], timeout=300)
    assert (p.stdout, p.returncode) == (b"{'turn': 320, 'done': 16}\n", 0), describe(p)
