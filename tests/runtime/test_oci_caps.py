"""config.json's process.capabilities and linux.sysctl inside a container: the sets in
/proc/self/status (init, exec with and without --process), a privileged operation refused
without its capability, sysctl values in /proc/sys that the Sentry acts on, and an invalid
sysctl refused by `create` with one error naming it, leaving nothing behind."""

from __future__ import annotations

import json

from tests.runtime import test_oci

pytestmark = test_oci.pytestmark
oci_rt = test_oci.rt  # the fixture, under this name here

CAP_CHOWN, CAP_KILL, CAP_NET_BIND_SERVICE, CAP_SETUID = 0, 5, 10, 7
EXTRA_APPLETS = ("chown", "grep", "nc", "kill", "uname", "timeout")


def _applets(rt: test_oci.Runtime) -> None:
    for a in EXTRA_APPLETS:
        p = rt.bundle / "rootfs/bin" / a
        if not p.exists():
            p.symlink_to("busybox")


def _status(out: str) -> dict[str, int]:
    caps = {}
    for line in out.splitlines():
        key, _, value = line.partition(":")
        if key.startswith("Cap"):
            caps[key] = int(value.strip(), 16)
    return caps


def _mask(*caps: int) -> int:
    return sum(1 << c for c in caps)


def test_reduced_capability_set(oci_rt) -> None:
    rt = oci_rt
    _applets(rt)
    names = ["CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_NO_SUCH_ONE"]  # unknown: ignored
    rt.config["process"]["capabilities"] = {
        "bounding": names, "effective": names, "permitted": names}
    rt.write(args=["sh", "-c", "grep Cap /proc/self/status; touch /tmp/f; "
                   "chown 5 /tmp/f || echo chown refused; sleep 1000"])
    out = rt.bundle / "out"
    with open(out, "wb") as f:
        assert rt("run", "--detach", "k1", stdout=f, stderr=f).returncode == 0
    test_oci.wait_for(lambda: b"chown refused" in out.read_bytes())
    text = out.read_text()
    assert "Operation not permitted" in text
    want = _mask(CAP_KILL, CAP_NET_BIND_SERVICE)
    assert _status(text) == {"CapInh": 0, "CapPrm": want, "CapEff": want, "CapBnd": want,
                             "CapAmb": 0}, text
    # exec without --process: the container's capabilities (as runc)
    p = rt("exec", "k1", "sh", "-c", "grep Cap /proc/self/status")
    assert p.returncode == 0, p.stderr
    assert _status(p.stdout.decode())["CapEff"] == want
    # exec --process with its own sets: a root process after execve has its bounding set
    proc = rt.bundle / "proc.json"
    own = ["CAP_CHOWN", "CAP_SETUID"]
    proc.write_text(json.dumps({
        "args": ["sh", "-c", "grep Cap /proc/self/status; chown 5 /tmp/f && echo chowned"],
        "cwd": "/", "env": ["PATH=/bin"],
        "capabilities": {"bounding": own, "effective": own, "permitted": own}}))
    p = rt("exec", "--process", str(proc), "k1")
    assert p.returncode == 0, p.stderr
    caps = _status(p.stdout.decode())
    assert caps["CapEff"] == caps["CapBnd"] == _mask(CAP_CHOWN, CAP_SETUID)
    assert p.stdout.decode().endswith("chowned\n")
    assert rt("kill", "k1", "KILL").returncode == 0
    test_oci.wait_for(lambda: rt.state("k1")["status"] == "stopped")


def test_non_root_user_keeps_only_ambient_capabilities(oci_rt) -> None:
    rt = oci_rt
    _applets(rt)
    names = ["CAP_NET_BIND_SERVICE", "CAP_KILL"]
    rt.config["process"]["capabilities"] = {
        "bounding": names, "effective": names, "permitted": names, "inheritable": names,
        "ambient": ["CAP_NET_BIND_SERVICE"]}
    rt.write(args=["sh", "-c", "grep Cap /proc/self/status"], user={"uid": 1000, "gid": 1000})
    p = rt("run", "k2")
    assert p.returncode == 0, p.stderr
    amb = _mask(CAP_NET_BIND_SERVICE)
    assert _status(p.stdout.decode()) == {
        "CapInh": _mask(CAP_NET_BIND_SERVICE, CAP_KILL), "CapPrm": amb, "CapEff": amb,
        "CapBnd": _mask(CAP_NET_BIND_SERVICE, CAP_KILL), "CapAmb": amb}


def test_sysctl_is_visible_and_drives_the_privileged_ports(oci_rt) -> None:
    rt = oci_rt
    _applets(rt)
    rt.config["linux"]["sysctl"] = {"net.ipv4.ip_unprivileged_port_start": "80",
                                    "kernel.domainname": "example.org", "kernel.shmmni": "100"}
    script = ("cat /proc/sys/net/ipv4/ip_unprivileged_port_start /proc/sys/kernel/domainname "
              "/proc/sys/kernel/shmmni; "
              "timeout 2 nc -l -p 79 2>&1; echo port79=$?; "
              "timeout 2 nc -l -p 80 2>&1; echo port80=$?")
    rt.write(args=["sh", "-c", script], user={"uid": 1000, "gid": 1000})
    p = rt("run", "s1")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.decode().splitlines()
    assert lines[:3] == ["80", "example.org", "100"], lines
    assert "Permission denied" in "\n".join(lines[3:])
    assert "port79=1" in lines
    assert "port80=143" in lines  # listening until timeout's SIGTERM: the bind worked


def test_invalid_sysctl_fails_create_with_one_error(oci_rt) -> None:
    rt = oci_rt
    for key, why in (("kernel.panic", "is not in a separate kernel namespace"),
                     ("net.ipv4.no_such_knob", "is not supported"),
                     ("kernel.hostname", "conflicts with the OCI hostname field")):
        rt.config["linux"]["sysctl"] = {key: "1"}
        rt.write()
        p = rt("create", "s2")
        assert p.returncode == 1
        err = rt.errors()[-1]
        assert err.count("\n") == 0 and f"linux.sysctl.{key}" in err and why in err, err
        assert not (rt.root / "s2").exists()
    rt.config["linux"]["sysctl"] = {"net.ipv4.ip_unprivileged_port_start": "70000"}
    rt.write()
    assert rt("create", "s2").returncode == 1
    assert "out of range" in rt.errors()[-1]
    assert not (rt.root / "s2").exists()
