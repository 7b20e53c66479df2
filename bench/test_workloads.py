"""Whole workloads, wall time of one run each (start-up included): Python start-up, a
busybox shell loop, tar of a tree, gcc of a small file, sqlite inserts."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from bench.conftest import QUICK

PYTHON = shutil.which("python3", path="/usr/bin:/bin") or "python3"
SHELL_LOOP = ("i=0; while [ $i -lt {n} ]; do i=$((i+1)); echo $i > f.$$; "
              "read x < f.$$; done; rm -f f.$$")
SMALL_C = r"""
#include <stdio.h>
#include <string.h>
struct kv { const char *k; int v; };
static int cmp(const void *a, const void *b) {
    return strcmp(((const struct kv *)a)->k, ((const struct kv *)b)->k);
}
int main(int argc, char **argv) {
    struct kv t[] = {{"b", 2}, {"a", 1}, {"c", 3}};
    qsort(t, 3, sizeof *t, cmp);
    for (int i = 0; i < 3; i++) printf("%s=%d\n", t[i].k, t[i].v);
    return argc > 1 ? (int)strlen(argv[1]) : 0;
}
"""


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("workloads")
    tree = d / "tree"
    for i in range(10):
        sub = tree / f"dir{i}"
        sub.mkdir(parents=True)
        for j in range(20):
            (sub / f"file{j}.txt").write_bytes(bytes([65 + j]) * (4096 + 97 * j))
    (d / "small.c").write_text(SMALL_C)
    rows = 100 if QUICK else 300
    (d / "inserts.sql").write_text(
        "DROP TABLE IF EXISTS t;\nCREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT);\n"
        + "".join(f"INSERT INTO t (v) VALUES ('row {i:05d}');\n" for i in range(rows))
    )
    return d


def _need(prog: str) -> str:
    path = shutil.which(prog)
    if not path:
        pytest.skip(f"{prog} is not installed")
    return path


def test_python_pass(interleaved, work: Path) -> None:
    interleaved("python3 -c pass", [PYTHON, "-c", "pass"], kind="workload", unit="s",
                wall=True, what=f"`{PYTHON} -c pass`")


def test_busybox_loop(interleaved, work: Path) -> None:
    busybox = _need("busybox")
    n = 100 if QUICK else 500
    interleaved("busybox sh loop", [busybox, "sh", "-c", SHELL_LOOP.format(n=n)],
                kind="workload", unit="s", wall=True, cwd=work,
                what=f"`busybox sh -c` a loop of {n} (echo to a file, read it back)")


def test_tar_tree(interleaved, work: Path) -> None:
    tar = _need("tar")
    interleaved("tar of a tree", lambda r: [tar, "-cf", str(work / f"tree-{r}.tar"), "-C",
                                            str(work), "tree"],
                kind="workload", unit="s", wall=True,
                what="`tar -cf` a tree of 10 dirs x 20 files (~1 MiB)")


def test_gcc_small(interleaved, work: Path) -> None:
    gcc = _need("gcc")
    interleaved("gcc -O1 small.c", lambda r: [gcc, "-O1", "-o", str(work / f"small-{r}"),
                                              str(work / "small.c")],
                kind="workload", unit="s", wall=True,
                what="`gcc -O1` a 15-line C file into a program (cc1, as, ld)")


def test_sqlite_inserts(interleaved, work: Path) -> None:
    sqlite = _need("sqlite3")
    rows = 100 if QUICK else 300
    interleaved("sqlite inserts", lambda r: [sqlite, str(work / f"db-{r}.sqlite"),
                                             f".read {work / 'inserts.sql'}"],
                kind="workload", unit="s", wall=True,
                what=f"`sqlite3` {rows} INSERTs, one transaction each (fsync-bound natively; "
                "in the sandbox the file is in the in-memory upper layer)")
