"""The bench harness on made-up results: probe headers, per-syscall verdicts, the report's
tables and regressions, the plots. (The real runs are `python -m bench`, in CI quick.)"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from bench import compat, plots, probelib, report


def _probe(tmp_path: Path, text: str) -> probelib.ProbeMeta:
    src = tmp_path / "p.c"
    src.write_text(text)
    return probelib.parse(src)


def test_header_keys(tmp_path: Path) -> None:
    meta = _probe(tmp_path, "// build: -static\n// What it does.\n// covers: openat, close\n"
                  "// xfail-line: fstat(pipe) -- pipes give EINVAL\n#include <x>\n// covers: no\n")
    assert meta.flags == ["-static"]
    assert meta.covers == ["openat", "close"]
    assert meta.title == "What it does."
    assert meta.xfail_lines == [probelib.XfailLine("fstat(pipe)", "pipes give EINVAL")]


def test_compare_leaves_out_xfail_lines_and_sees_exit_status(tmp_path: Path) -> None:
    meta = _probe(tmp_path, "// covers: fstatfs, statfs\n// xfail-line: fstatfs(pipe) -- x\n")

    def done(out: str, rc: int = 0) -> subprocess.CompletedProcess:
        return subprocess.CompletedProcess([], rc, out.encode(), b"")

    native = done("statfs(.): 0\nfstatfs(pipe): 0\n")
    assert probelib.compare(meta, native, done("statfs(.): 0\nfstatfs(pipe): -1 EINVAL\n")).same
    c = probelib.compare(meta, native, done("statfs(.): -1 ENOSYS\nfstatfs(pipe): 0\n"))
    assert not c.same and c.differing == ["statfs(.): 0", "statfs(.): -1 ENOSYS"]
    c = probelib.compare(meta, native, done("statfs(.): 0\nfstatfs(pipe): 0\n", 1))
    assert not c.same and "exit status" in c.diff


def test_lines_are_attributed_to_the_calls_libc_makes() -> None:
    covers = ["openat", "newfstatat", "pread64", "close"]
    assert probelib.line_syscalls("open(f, O_RDONLY): 3", covers) == ["openat"]
    assert probelib.line_syscalls("stat(f): mode=0644", covers) == ["newfstatat"]
    assert probelib.line_syscalls("pread(5, 0): 5", covers) == ["pread64"]
    assert probelib.line_syscalls("data: hello", covers) == []


def _run(same: bool, differing: list[str]) -> dict:
    return {"same": same, "differing": differing, "matched": 1, "total": 2, "diff": "-x\n+y",
            "returncode": 0}


def test_verdicts() -> None:
    probe = {"covers": ["statfs", "fstatfs", "uname"], "xfail": "",
             "xfail_lines": [{"prefix": "fstatfs(pipe)", "reason": "x"}]}
    run = _run(False, ["statfs(.): 0", "statfs(.): -1 ENOSYS"])
    assert compat._verdict("statfs", probe, run) == compat.UNSUPPORTED
    assert compat._verdict("fstatfs", probe, run) == compat.XFAIL
    assert compat._verdict("uname", probe, run) == compat.PASS
    run = _run(False, ["child: 1", "child: 2"])  # about none of them: all of them differ
    assert compat._verdict("uname", probe, run) == compat.DIFFERS
    assert compat._verdict("uname", {**probe, "xfail": "a known bug"}, run) == compat.XFAIL


def _results(getpid_ns: float, failed: dict | None = None) -> dict:
    return {
        "meta": {"date": "2026-01-01 00:00 UTC", "command": "python -m bench", "quick": True,
                 "host": "Linux", "cpus": 2, "commit": "abc", "load_start": "1",
                 "load_end": "1", "seconds": 5.0},
        "bench": {"runtimes": {"native": [], "seccomp": ["x"]}, "rounds": 3, "benchmarks": {
            "getpid": {"kind": "latency", "unit": "ns", "what": "",
                       "samples": {"native": [100, 110, 120],
                                   "seccomp": [getpid_ns, getpid_ns + 1, getpid_ns + 2]},
                       "failed": {}},
            "file read 1 MiB": {"kind": "throughput", "unit": "ns/MiB", "what": "",
                                "samples": {"native": [1e6], "seccomp": [2e6]},
                                "failed": failed or {}},
            "python3 -c pass": {"kind": "workload", "unit": "s", "what": "",
                                "samples": {"native": [0.02], "seccomp": [0.3]}, "failed": {}},
        }},
    }


def test_report_tables_and_regressions(tmp_path: Path) -> None:
    old, new = _results(5000), _results(8000)
    path = report.write(new, tmp_path, {}, old)
    text = path.read_text()
    assert "| getpid | 110 ns<br><sub>100 ns–120 ns</sub> | 8 µs (×72.7)" in text
    assert "1000 MiB/s" in text and "500 MiB/s (×2)" in text
    assert "300 ms (×15)" in text
    regressions = report.regressions(new, old)
    assert len(regressions) == 1 and "getpid" in regressions[0]
    assert report.regressions(old, new) == []
    # Native alone moving (load, CPU placement) flags nothing: the sandbox's median held.
    noisy = _results(5000)
    noisy["bench"]["benchmarks"]["getpid"]["samples"]["native"] = [30, 31, 32]
    assert report.regressions(noisy, old) == []
    # Everything twice as slow (a loaded machine): the cost held, nothing flagged.
    slow = _results(10000)
    slow["bench"]["benchmarks"]["getpid"]["samples"]["native"] = [200, 220, 240]
    assert report.regressions(slow, old) == []
    failed = _results(5000, failed={"seccomp": "exit 1: boom"})
    del failed["bench"]["benchmarks"]["file read 1 MiB"]["samples"]["seccomp"]
    text = report.write(failed, tmp_path, {}, None).read_text()
    assert "failed" in text and "`exit 1: boom`" in text


def test_plots_are_pngs(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    made = plots.make(_results(5000), tmp_path)
    assert set(made) == {"latency", "throughput", "workload"}
    for name in made.values():
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    json.dumps(made)


def test_plain_pytest_benchmarks_join_the_results(tmp_path: Path) -> None:
    from bench.__main__ import merge_plain

    res = _results(5000)["bench"]
    pb = {"benchmarks": [
        {"name": "test_ctr_run_true[runc]", "group": None,
         "fullname": "bench/test_oci.py::test_ctr_run_true[runc]", "param": "runc",
         "extra_info": {"runtime": "runc"},
         "stats": {"data": [0.5, 0.6, 0.7], "median": 0.6}},
        {"name": "test_latency[getpid]", "fullname": "bench/test_latency.py::test_latency[getpid]",
         "group": "getpid", "extra_info": {"kind": "latency", "samples": {}}, "stats": {}},
    ]}
    merge_plain(res, pb)
    row = res["benchmarks"]["test_ctr_run_true"]
    assert row["kind"] == "oci" and row["samples"] == {"runc": [0.5, 0.6, 0.7]}
    assert res["benchmarks"]["getpid"]["samples"]["native"] == [100, 110, 120]
    text = report.write({**_results(5000), "bench": res}, tmp_path, {}, None).read_text()
    assert "| benchmark | runc |" in text and "| test_ctr_run_true | 600 ms" in text


def test_report_lists_every_syscall_of_the_table_with_a_verdict_per_platform() -> None:
    """The acceptance of issue 7: every row of `runsc_py syscalls` is in the report, the
    served ones (supported, partial, host) with a verdict per platform, the rest as ENOSYS."""
    from runsc_py.cli.syscalls import rows

    table = rows()
    served = [str(r["name"]) for r in table if r["status"] in compat.SERVED]
    run = {"same": True, "differing": [], "matched": 1, "total": 1, "diff": "",
           "returncode": 0, "xfail_same": False}
    probes = {"all": {"title": "", "area": "x", "covers": served[1:], "xfail": "",
                      "xfail_lines": [], "native_ok": True,
                      "runs": {"native": run, "seccomp": run, "ptrace": run}}}
    runtimes = ["native", "seccomp", "ptrace"]
    c = {"runtimes": runtimes, "probes": probes, "syscalls": compat.verdicts(probes, runtimes)}
    text = "\n".join(report.compat_sections(c, {}))
    listed = {line.split("|")[2].strip(): line.split("|")[6:8]
              for line in text.splitlines() if line[:2] == "| " and line[2].isdigit()}
    assert set(listed) == {f"{n} ⚠" if n == served[0] else n for n in served}
    assert listed[f"{served[0]} ⚠"] == [" no probe ", " no probe "]
    assert all(v == [" pass ", " pass "] for n, v in listed.items() if n in served[1:])
    enosys = text.split("ENOSYS (", 1)[1].split("\n", 1)[0]
    assert all(f" {r['name']}," in enosys + "," for r in table if r["status"] == "ENOSYS")
    summary = "\n".join(report.compat_summary(c))
    assert f"| seccomp | {len(served) - 1} | 0 | 0 | 0 | 1 |" in summary
    assert f"**Served without a probe:** {served[0]}" in summary


def test_peers_from_the_command_line(monkeypatch: pytest.MonkeyPatch) -> None:
    from bench.__main__ import runtimes

    monkeypatch.setattr("shutil.which", lambda prog: f"/usr/bin/{prog}")
    rt = runtimes(["proot -r /", "mine=/opt/x/run --flag", "env A=1"])
    assert rt["proot"] == ["proot", "-r", "/"]
    assert rt["mine"] == ["/opt/x/run", "--flag"]
    assert rt["env"] == ["env", "A=1"]
    assert list(rt)[:3] == ["native", "seccomp", "ptrace"]
    monkeypatch.setattr("shutil.which", lambda prog: None)
    with pytest.raises(SystemExit, match="not installed"):
        runtimes(["nosuch -x"])


def test_rows_without_native_are_plotted_against_their_table_base(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    res = _results(5000)
    res["bench"]["benchmarks"]["ctr run --rm /bin/true"] = {
        "kind": "oci", "unit": "s", "what": "", "failed": {},
        "samples": {"runc": [0.1, 0.11], "runsc_py": [0.25, 0.26]}}
    made = plots.make(res, tmp_path)
    assert made["oci"] == "oci.png"
    assert (tmp_path / "oci.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = report.write(res, tmp_path, made, None).read_text()
    assert "![oci (bench/test_oci.py)](oci.png)" in text and "(×2.43)" in text


def test_readme_sections_name_the_run_each_half_comes_from(tmp_path: Path) -> None:
    from bench import readme

    res = _results(5000)
    res["meta"]["compat_run"] = {**res["meta"], "command": "python -m bench --only compat",
                                 "date": "2026-01-02 00:00 UTC", "commit": "def"}
    assert "`python -m bench --only compat` on 2026-01-02" in readme.provenance(res, "compat")
    assert "`python -m bench` on 2026-01-01" in readme.provenance(res)
    text = report.write(res, tmp_path, {}, None).read_text()
    assert "compatibility half comes from another run: `python -m bench --only compat`" in text


def test_a_fixed_xfail_mark_is_stale_on_its_own(tmp_path: Path) -> None:
    """Each xfail-line mark is judged by its own lines: once they match natively the call it
    names passes (and tests/syscalls/test_probes.py asks to drop the mark), while the other
    marks of the probe stay xfail."""
    meta = _probe(tmp_path, "// covers: waitid, ppoll\n// xfail-line: waitid(WSTOPPED) -- x\n"
                  "// xfail-line: ppoll(sigmask -- y\n")

    def done(out: str) -> subprocess.CompletedProcess:
        return subprocess.CompletedProcess([], 0, out.encode(), b"")

    native = done("waitid(WSTOPPED): 0\nppoll(sigmask): -1 EINTR\n")
    c = probelib.compare(meta, native, done("waitid(WSTOPPED): 0\nppoll(sigmask): 0\n"))
    assert c.same and not c.xfail_same and c.xfail_stale == ["waitid(WSTOPPED)"]
    probe = {"covers": meta.covers, "xfail": "",
             "xfail_lines": [{"prefix": x.prefix, "reason": x.reason} for x in meta.xfail_lines]}
    run = {**_run(True, []), "xfail_same": c.xfail_same, "xfail_stale": c.xfail_stale}
    assert compat._verdict("waitid", probe, run) == compat.PASS
    assert compat._verdict("ppoll", probe, run) == compat.XFAIL


def test_xfail_marks_are_the_sentrys_not_other_runtimes() -> None:
    """A mark names a known Sentry bug: under proot or a --peer the same difference differs."""
    probe = {"covers": ["statfs", "fstatfs"], "xfail": "",
             "xfail_lines": [{"prefix": "fstatfs(pipe)", "reason": "x"}]}
    run = _run(False, ["fstatfs(pipe): 0", "fstatfs(pipe): -1 EINVAL"])
    assert compat._verdict("fstatfs", probe, run, "proot") == compat.DIFFERS
    assert compat._verdict("statfs", probe, run, "proot") == compat.PASS
    whole = {**probe, "xfail": "a known bug"}
    assert compat._verdict("statfs", whole, _run(False, ["x: 1", "x: 2"]), "ptrace") == \
        compat.XFAIL
    assert compat._verdict("statfs", whole, _run(False, ["x: 1", "x: 2"]), "proot") == \
        compat.DIFFERS
