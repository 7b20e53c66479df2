"""The runsc_py command line, driven as a user drives it: `python -m runsc_py ...`.

Covers parsing, usage errors, logging and `syscalls`; what `do` does to a workload is
tested with the Sentry (tests/syscalls, tests/runtime/test_do*).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from sentry.abi.sysno import NAMES

CLI = [sys.executable, "-m", "runsc_py"]
TABLE_STATUSES = {"supported", "partial", "host (allow-list)", "ENOSYS"}
ROW = re.compile(r"\s*(\d+)\s+(\w+)\s+(supported|partial|host \(allow-list\)|ENOSYS)(?:\s|$)")
JSON_STATUSES = {"supported", "partial", "host", "ENOSYS"}


def show(p: subprocess.CompletedProcess) -> str:
    return f"status {p.returncode}\n--- stdout\n{p.stdout}\n--- stderr\n{p.stderr}"


@pytest.fixture
def cli(run_native):
    """cli(*args) -> CompletedProcess with text output."""

    def run(*args: str) -> subprocess.CompletedProcess:
        return run_native([*CLI, *args], text=True)

    return run


def assert_usage_error(p: subprocess.CompletedProcess, *words: str) -> None:
    assert p.returncode == 1, show(p)
    assert p.stdout == "", show(p)
    lines = p.stderr.splitlines()
    assert len(lines) == 1, show(p)
    assert lines[0].startswith("runsc_py: error: "), show(p)
    for w in words:
        assert w in lines[0], show(p)


def test_help_lists_commands_and_global_flags(cli) -> None:
    p = cli("--help")
    assert p.returncode == 0, show(p)
    for word in ("do", "syscalls", "--root", "--log", "--log-format", "--debug",
                 "--systemd-cgroup", "--platform", "--network", "--strace"):
        assert word in p.stdout, word


def test_help_does_not_load_the_sentry(run_native) -> None:
    code = (
        "import sys\n"
        "from runsc_py.__main__ import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'sentry'))\n"
    )
    p = run_native([sys.executable, "-c", code], text=True)
    assert p.returncode == 0, show(p)
    assert p.stdout.splitlines()[-1] == "[]", show(p)


def test_version(cli) -> None:
    p = cli("--version")
    assert p.returncode == 0, show(p)
    assert re.fullmatch(r"runsc_py version \d+\.\d+\.\d+\n", p.stdout), show(p)


def test_syscalls_table(cli) -> None:
    p = cli("syscalls")
    assert p.returncode == 0, show(p)
    lines = p.stdout.splitlines()
    assert lines[0].split()[:3] == ["NR", "NAME", "STATUS"], lines[0]
    rows = {}
    for line in lines[1:-1]:
        m = ROW.match(line)
        assert m, line
        rows[int(m[1])] = (m[2], m[3])
    assert set(rows) == set(NAMES)
    assert set(range(0, 335)) | set(range(424, 451)) <= set(rows)  # every x86-64 number to 450
    for nr, name in ((0, "read"), (39, "getpid"), (257, "openat")):
        assert rows[nr][0] == name
        assert rows[nr][1] in TABLE_STATUSES
    m = re.fullmatch(
        r"(\d+) syscalls: (\d+) supported, (\d+) partial, (\d+) host \(allow-list\), "
        r"(\d+) ENOSYS",
        lines[-1],
    )
    assert m, lines[-1]
    total, *counts = map(int, m.groups())
    assert total == len(NAMES) == sum(counts)
    labels = ["supported", "partial", "host (allow-list)", "ENOSYS"]
    assert counts == [sum(1 for _, s in rows.values() if s == label) for label in labels]


def test_syscalls_json_matches_the_table(cli) -> None:
    p = cli("syscalls", "--format", "json")
    assert p.returncode == 0, show(p)
    doc = json.loads(p.stdout)
    calls = doc["syscalls"]
    assert [c["nr"] for c in calls] == sorted(NAMES)
    assert all(c["name"] == NAMES[c["nr"]] for c in calls)
    assert {c["status"] for c in calls} <= JSON_STATUSES
    assert all(isinstance(c["note"], str) for c in calls)
    assert all(c["note"] for c in calls if c["status"] in ("partial", "host"))
    assert doc["summary"]["total"] == len(calls)
    table = cli("syscalls")
    text = {int(line.split()[0]): line for line in table.stdout.splitlines()[1:-1]}
    for c in calls:
        label = "host (allow-list)" if c["status"] == "host" else c["status"]
        assert label in text[c["nr"]], (c, text[c["nr"]])


def test_unknown_command_is_one_line(cli) -> None:
    assert_usage_error(cli("frobnicate"), "unknown command", "frobnicate")


def test_no_command_is_one_line(cli) -> None:
    assert_usage_error(cli(), "no command")


def test_do_without_a_program(cli) -> None:
    assert_usage_error(cli("do"), "do:", "no program")
    assert_usage_error(cli("--debug", "do", "--strace"), "no program")


def test_bad_flag_values_are_usage_errors(cli) -> None:
    assert_usage_error(cli("--platform=kvm", "do", "/bin/true"), "--platform")
    assert_usage_error(cli("do", "--platform=kvm", "/bin/true"), "--platform")
    assert_usage_error(cli("--log-format=xml", "syscalls"), "--log-format")
    assert_usage_error(cli("do", "--no-such-flag", "/bin/true"), "--no-such-flag")
    assert_usage_error(cli("syscalls", "--format", "xml"), "--format")


def test_do_refuses_a_network_mode_it_lacks(cli) -> None:
    assert_usage_error(cli("do", "--network=sandbox", "/bin/true"), "--network=sandbox")


def test_json_log_records_the_error(cli, tmp_path: Path) -> None:
    log = tmp_path / "log.json"
    log.write_text('{"level": "info", "msg": "earlier", "time": "x"}\n')
    p = cli("--log", str(log), "--log-format", "json", "frobnicate")
    assert_usage_error(p, "unknown command")
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert records[0]["msg"] == "earlier"  # appended, as the runc shim expects
    last = records[-1]
    assert last["level"] == "error"
    assert "unknown command" in last["msg"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z", last["time"])


def test_log_flags_after_do(cli, tmp_path: Path) -> None:
    log = tmp_path / "log.json"
    p = cli("do", "--log", str(log), "--log-format=json")
    assert_usage_error(p, "no program")
    assert json.loads(log.read_text().splitlines()[-1])["level"] == "error"


def test_unwritable_log_file(cli, tmp_path: Path) -> None:
    assert_usage_error(cli("--log", str(tmp_path / "no" / "dir" / "log"), "syscalls"), "log")
