"""config.json validation, state.json and the status guards (no sandbox needed)."""

from __future__ import annotations

import json
import os
import signal
import subprocess

import pytest

from runsc_py.container import lifecycle
from runsc_py.container.cgroups import container_path
from runsc_py.container.spec import ConfigError, load, parse
from runsc_py.container.state import (
    ContainerError, NotFound, State, Status, Store, pid_start_time,
)


def minimal(tmp_path) -> dict:
    (tmp_path / "rootfs").mkdir(exist_ok=True)
    return {"ociVersion": "1.0.2", "root": {"path": "rootfs"},
            "process": {"args": ["/bin/true"], "cwd": "/", "env": ["A=1"]}}


def write(tmp_path, cfg) -> str:
    (tmp_path / "config.json").write_text(json.dumps(cfg))
    return str(tmp_path)


def test_minimal_config_loads_with_defaults(tmp_path) -> None:
    s = load(write(tmp_path, minimal(tmp_path)))
    assert s.root_path == str(tmp_path / "rootfs")
    assert s.process.args == ["/bin/true"] and s.process.uid == 0
    assert s.env_dict() == {"A": "1"} and not s.root_readonly and s.mounts == []


@pytest.mark.parametrize("change, field", [
    (lambda c: c["process"].update(args=[]), "process.args: must be a non-empty list"),
    (lambda c: c["process"].pop("args"), "process.args: must be a non-empty list"),
    (lambda c: c["process"].update(args=[1]), "process.args[0]: must be a string"),
    (lambda c: c["process"].update(cwd="rel"), "process.cwd: must be an absolute path"),
    (lambda c: c["process"].update(user={"uid": -1}), "process.user.uid"),
    (lambda c: c["process"].update(user={"uid": 0, "additionalGids": ["x"]}),
     "process.user.additionalGids[0]"),
    (lambda c: c.pop("root"), "root: is required"),
    (lambda c: c["root"].update(path="nope"), "root.path"),
    (lambda c: c.update(mounts=[{"destination": "x"}]), "mounts[0].destination"),
    (lambda c: c["process"].update(rlimits=[{"type": "RLIMIT_BOGUS", "soft": 1, "hard": 1}]),
     "process.rlimits[0].type"),
    (lambda c: c["process"].update(rlimits=[{"type": "RLIMIT_NOFILE", "soft": 9, "hard": 1}]),
     "process.rlimits[0]"),
    (lambda c: c.update(hooks={"prestart": [{"path": "rel"}]}), "hooks.prestart[0].path"),
    (lambda c: c.update(hostname=5), "hostname: must be a string"),
    (lambda c: c.update(linux={"namespaces": [{"type": "bogus"}]}), "linux.namespaces[0].type"),
    (lambda c: c["process"].update(capabilities=["CAP_KILL"]),
     "process.capabilities: must be an object"),
    (lambda c: c["process"].update(capabilities={"bounding": [5]}),
     "process.capabilities.bounding[0]: must be a string"),
    (lambda c: c.update(linux={"sysctl": {"vm.swappiness": "1"}}),
     "linux.sysctl.vm.swappiness: sysctl 'vm.swappiness' is not in a separate kernel namespace"),
    (lambda c: c.update(linux={"sysctl": {"kernel.shmmni": 5}}),
     "linux.sysctl.kernel.shmmni: must be a string"),
    (lambda c: c.update(linux={"sysctl": {"kernel.shmmni": "x"}}), "is not a number"),
    (lambda c: c.update(linux={"sysctl": {"kernel.sem": "1 2 3 4 5"}}), "is out of range"),
])
def test_invalid_config_names_the_field(tmp_path, change, field) -> None:
    cfg = minimal(tmp_path)
    change(cfg)
    with pytest.raises(ConfigError) as e:
        load(write(tmp_path, cfg))
    assert str(e.value).startswith("config.json: ")
    assert field in str(e.value)


def test_not_json_and_missing(tmp_path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load(str(tmp_path))
    (tmp_path / "config.json").write_text("{")
    with pytest.raises(ConfigError, match="not valid JSON"):
        load(str(tmp_path))


def test_rlimits_and_user(tmp_path) -> None:
    cfg = minimal(tmp_path)
    cfg["process"]["user"] = {"uid": 1000, "gid": 100, "additionalGids": [5, 6]}
    cfg["process"]["rlimits"] = [{"type": "RLIMIT_NOFILE", "soft": 64, "hard": 128}]
    s = parse(cfg, str(tmp_path))
    assert (s.process.uid, s.process.gid, s.process.additional_gids) == (1000, 100, [5, 6])
    assert s.process.rlimits == [(7, 64, 128)]


def test_capabilities_and_sysctl(tmp_path) -> None:
    cfg = minimal(tmp_path)
    assert parse(cfg, str(tmp_path)).process.capabilities is None  # no field: root keeps all
    cfg["process"]["capabilities"] = {"bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_NEWER"],
                                      "effective": ["CAP_KILL"]}
    cfg["linux"] = {"sysctl": {"net.ipv4.ip_unprivileged_port_start": "0",
                               "kernel.sem": "1 2 3 4"}}
    s = parse(cfg, str(tmp_path))
    assert s.process.capabilities == {"bounding": 0b100001, "effective": 0b100000,
                                      "inheritable": 0, "permitted": 0, "ambient": 0}
    assert s.sysctl["kernel.sem"] == "1 2 3 4"


def test_sysctl_values() -> None:
    from sentry.kernel.sysctl import Sysctl, SysctlError

    v = Sysctl({"kernel.sem": "1 2 3 4"})
    assert v.get("kernel.sem") == "1\t2\t3\t4"
    v.set("kernel.sem", "9\n")  # a partial write keeps the others
    assert v.get("kernel.sem") == "9\t2\t3\t4"
    v.set("kernel.domainname", "example.org\n")
    assert v.get("kernel.domainname") == "example.org"
    assert v.int("net.ipv4.ip_unprivileged_port_start") == 1024
    with pytest.raises(SysctlError):
        v.set("net.ipv4.ip_unprivileged_port_start", "65536")
    with pytest.raises(SysctlError):
        v.set("kernel.domainname", "x" * 65)


def test_status_guards() -> None:
    assert Status.CREATED.can_start() and not Status.RUNNING.can_start()
    assert all(s.can_kill() for s in (Status.CREATED, Status.RUNNING, Status.PAUSED))
    assert not Status.STOPPED.can_kill()
    assert Status.STOPPED.can_delete() and not Status.RUNNING.can_delete()


def test_state_round_trip_and_pid_reuse(tmp_path) -> None:
    store = Store(str(tmp_path / "root"))
    with store.locked("c1", create=True):
        p = subprocess.Popen(["sleep", "30"])
        try:
            st = State(id="c1", bundle="/b", status="running", pid=p.pid,
                       pidStartTime=pid_start_time(p.pid) or 0)
            store.save(st)
            assert store.load("c1").status == "running"
            assert json.loads((tmp_path / "root/c1/state.json").read_text())["ociVersion"]
            # The same pid with another start time: a reused pid, not our sandbox.
            st.pidStartTime += 1
            store.save(st)
            assert store.load("c1").status == "stopped"
        finally:
            p.kill()
            p.wait()
    assert [f for f in os.listdir(tmp_path / "root/c1") if f.startswith(".")] == []
    assert store.ids() == ["c1"]
    with pytest.raises(ContainerError, match="already exists"):
        with store.locked("c1", create=True):
            pass
    with pytest.raises(NotFound):
        store.load("c2")
    with pytest.raises(ContainerError, match="invalid container id"):
        store.dir("../x")


def test_dead_pid_reads_stopped(tmp_path) -> None:
    store = Store(str(tmp_path))
    p = subprocess.Popen(["true"])
    start = pid_start_time(p.pid)
    p.wait()
    with store.locked("c", create=True):
        store.save(State(id="c", bundle="/b", status="running", pid=p.pid, pidStartTime=start or 0))
        assert store.load("c").status == "stopped"


def test_signals_by_number_and_name() -> None:
    assert lifecycle.parse_signal("9") == 9
    assert lifecycle.parse_signal("KILL") == signal.SIGKILL
    assert lifecycle.parse_signal("sigterm") == signal.SIGTERM
    assert lifecycle.parse_signal("RTMIN+1") == signal.SIGRTMIN + 1
    for bad in ("0", "99", "NOPE"):
        with pytest.raises(ContainerError):
            lifecycle.parse_signal(bad)


def test_cgroup_paths() -> None:
    assert container_path("", "c") == "/runsc_py/c"
    assert container_path("/default/c", "c") == "/default/c"
    assert container_path("system.slice:cri:abc", "abc") == "/system.slice/cri-abc.scope"
    assert container_path("k8s/x", "x") == "/runsc_py/k8s/x"
