"""config.json: loading and validation, with one clear error naming the field.

    spec = load(bundle)          # raises ConfigError("config.json: process.args: ...")

Only what the runtime uses is checked; unknown fields are ignored, as runc does. The
result keeps the raw document (`spec.raw`) for hooks and annotations.
"""

from __future__ import annotations

import os

from runsc_py.container import jsonfast

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# RLIMIT_* numbers of asm-generic/resource.h, in order.
RLIMITS = {f"RLIMIT_{n}": i for i, n in enumerate((
    "CPU", "FSIZE", "DATA", "STACK", "CORE", "RSS", "NPROC", "NOFILE", "MEMLOCK", "AS",
    "LOCKS", "SIGPENDING", "MSGQUEUE", "NICE", "RTPRIO", "RTTIME"))}
MAX_ID = (1 << 32) - 2


class ConfigError(Exception):
    """An invalid config.json; the message names the field."""


# Plain classes, not dataclasses: every runtime command loads this module, and dataclasses
# cost milliseconds of start-up each.


class Mount:
    def __init__(self, destination: str, type: str, source: str,  # noqa: A002
                 options: list[str]) -> None:
        self.destination, self.type, self.source, self.options = (
            destination, type, source, options)

    def __repr__(self) -> str:
        return f"Mount({self.destination!r}, {self.type!r}, {self.source!r}, {self.options!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mount) and vars(self) == vars(other)


class Process:
    def __init__(self, args: list[str], env: list[str], cwd: str, uid: int = 0, gid: int = 0,
                 additional_gids: list[int] | None = None, terminal: bool = False,
                 rlimits: list[tuple[int, int, int]] | None = None,  # (resource, soft, hard)
                 no_new_privileges: bool = False, oom_score_adj: int | None = None,
                 capabilities: dict[str, int] | None = None) -> None:
        self.args, self.env, self.cwd, self.uid, self.gid = args, env, cwd, uid, gid
        self.additional_gids = [] if additional_gids is None else additional_gids
        self.terminal = terminal
        self.rlimits = [] if rlimits is None else rlimits
        self.no_new_privileges = no_new_privileges
        self.oom_score_adj = oom_score_adj
        self.capabilities = capabilities  # set name -> mask; None: no field (keep root's)


class Spec:
    def __init__(self, *, raw: dict[str, Any], bundle: str, root_path: str,
                 root_readonly: bool, process: Process, hostname: str, mounts: list[Mount],
                 masked_paths: list[str], readonly_paths: list[str],
                 annotations: dict[str, str], hooks: dict[str, list[dict[str, Any]]],
                 cgroups_path: str, resources: dict[str, Any],
                 namespaces: list[dict[str, str]], sysctl: dict[str, str] | None = None) -> None:
        self.raw, self.bundle = raw, bundle
        self.root_path = root_path  # absolute
        self.root_readonly, self.process, self.hostname = root_readonly, process, hostname
        self.mounts, self.masked_paths, self.readonly_paths = mounts, masked_paths, readonly_paths
        self.annotations, self.hooks = annotations, hooks
        self.cgroups_path, self.resources, self.namespaces = cgroups_path, resources, namespaces
        self.sysctl = {} if sysctl is None else sysctl

    def env_dict(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for kv in self.process.env:
            k, _, v = kv.partition("=")
            out[k] = v
        return out


def _field(path: str, msg: str) -> ConfigError:
    return ConfigError(f"config.json: {path}: {msg}")


def _get(d: dict[str, Any], key: str, path: str, kind: type | tuple[type, ...],
         default: Any = None, required: bool = False) -> Any:
    if key not in d or d[key] is None:
        if required:
            raise _field(f"{path}{key}", "is required")
        return default
    v = d[key]
    if kind is int and isinstance(v, bool) or not isinstance(v, kind):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise _field(f"{path}{key}", f"must be {_a(names)}, not {type(v).__name__}")
    return v


def _a(name: str) -> str:
    words = {"dict": "an object", "list": "a list", "str": "a string", "int": "an integer",
             "bool": "a boolean"}
    return words.get(name, name)


def _strings(v: Any, path: str, non_empty: bool = False) -> list[str]:
    if not isinstance(v, list) or (non_empty and not v):
        raise _field(path, "must be a non-empty list" if non_empty else "must be a list")
    for i, s in enumerate(v):
        if not isinstance(s, str):
            raise _field(f"{path}[{i}]", "must be a string")
    return list(v)


def _id(v: Any, path: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= MAX_ID:
        raise _field(path, f"must be an integer from 0 to {MAX_ID}")
    return v


def load(bundle: str) -> Spec:
    """Reads and validates BUNDLE/config.json."""
    bundle = os.path.abspath(bundle)
    return parse(_read(bundle), bundle)


def load_hooks(bundle: str) -> dict[str, list[dict[str, Any]]]:
    """Only the hooks of BUNDLE/config.json (validated), for start and delete."""
    return _hooks(_get(_read(bundle), "hooks", "", dict, default={}))


def _read(bundle: str) -> dict[str, Any]:
    path = os.path.join(bundle, "config.json")
    try:
        with open(path, "rb") as f:
            raw = jsonfast.loads(f.read())
    except FileNotFoundError:
        raise ConfigError(f"config.json: not found in bundle {bundle}") from None
    except OSError as e:
        raise ConfigError(f"config.json: cannot read {path}: {e.strerror}") from None
    except ValueError as e:
        raise ConfigError(f"config.json: not valid JSON: {e}") from None
    if not isinstance(raw, dict):
        raise ConfigError("config.json: must be a JSON object")
    return raw


def parse(raw: dict[str, Any], bundle: str) -> Spec:
    _get(raw, "ociVersion", "", str, required=True)
    root = _get(raw, "root", "", dict, required=True)
    root_path = _get(root, "path", "root.", str, required=True)
    if not root_path:
        raise _field("root.path", "must not be empty")
    root_abs = os.path.normpath(os.path.join(bundle, root_path))
    if not os.path.isdir(root_abs):
        raise _field("root.path", f"{root_abs} is not a directory")
    proc = _process(_get(raw, "process", "", dict, required=True))
    linux = _get(raw, "linux", "", dict, default={})
    mounts = [_mount(m, i) for i, m in enumerate(_get(raw, "mounts", "", list, default=[]))]
    hooks = _hooks(_get(raw, "hooks", "", dict, default={}))
    annotations = _get(raw, "annotations", "", dict, default={})
    for k, v in annotations.items():
        if not isinstance(v, str):
            raise _field(f"annotations.{k}", "must be a string")
    return Spec(
        raw=raw, bundle=bundle, root_path=root_abs,
        root_readonly=bool(_get(root, "readonly", "root.", bool, default=False)),
        process=proc,
        hostname=_get(raw, "hostname", "", str, default=""),
        mounts=mounts,
        masked_paths=_strings(_get(linux, "maskedPaths", "linux.", list, default=[]),
                              "linux.maskedPaths"),
        readonly_paths=_strings(_get(linux, "readonlyPaths", "linux.", list, default=[]),
                                "linux.readonlyPaths"),
        annotations=dict(annotations),
        hooks=hooks,
        cgroups_path=_get(linux, "cgroupsPath", "linux.", str, default=""),
        resources=_get(linux, "resources", "linux.", dict, default={}),
        namespaces=_namespaces(_get(linux, "namespaces", "linux.", list, default=[])),
        sysctl=_sysctl(_get(linux, "sysctl", "linux.", dict, default={})),
    )


def _process(p: dict[str, Any]) -> Process:
    args = _strings(p.get("args"), "process.args", non_empty=True)
    if not args[0]:
        raise _field("process.args[0]", "must not be empty")
    env = _strings(_get(p, "env", "process.", list, default=[]), "process.env")
    cwd = _get(p, "cwd", "process.", str, required=True)
    if not cwd.startswith("/"):
        raise _field("process.cwd", "must be an absolute path")
    user = _get(p, "user", "process.", dict, default={})
    gids = _get(user, "additionalGids", "process.user.", list, default=[])
    rlimits = []
    for i, r in enumerate(_get(p, "rlimits", "process.", list, default=[])):
        where = f"process.rlimits[{i}]"
        if not isinstance(r, dict):
            raise _field(where, "must be an object")
        kind = r.get("type")
        if kind not in RLIMITS:
            raise _field(f"{where}.type", f"unknown rlimit {kind!r}")
        soft, hard = r.get("soft"), r.get("hard")
        for name, v in (("soft", soft), ("hard", hard)):
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise _field(f"{where}.{name}", "must be a non-negative integer")
        if soft > hard:
            raise _field(where, "soft limit above the hard limit")
        rlimits.append((RLIMITS[kind], soft, hard))
    return Process(
        args=args, env=env, cwd=cwd,
        uid=_id(user.get("uid", 0), "process.user.uid"),
        gid=_id(user.get("gid", 0), "process.user.gid"),
        additional_gids=[_id(g, f"process.user.additionalGids[{i}]") for i, g in enumerate(gids)],
        terminal=bool(_get(p, "terminal", "process.", bool, default=False)),
        rlimits=rlimits,
        no_new_privileges=bool(_get(p, "noNewPrivileges", "process.", bool, default=False)),
        oom_score_adj=_oom(p.get("oomScoreAdj")),
        capabilities=capabilities(p.get("capabilities"), "process.capabilities"),
    )


CAP_SETS = ("bounding", "effective", "inheritable", "permitted", "ambient")


def capabilities(v: Any, path: str) -> dict[str, int] | None:
    """process.capabilities as masks; a set not given is empty (as in runc). Unknown names
    are ignored, as runc does (a newer kernel's capability on an older one)."""
    if v is None:
        return None
    if not isinstance(v, dict):
        raise _field(path, "must be an object")
    from sentry.abi.capability import parse_cap_names

    out = {}
    for name in CAP_SETS:
        mask, _unknown = parse_cap_names(_strings(v.get(name, []) or [], f"{path}.{name}"))
        out[name] = mask
    return out


def _sysctl(v: dict[str, Any]) -> dict[str, str]:
    """linux.sysctl: only the namespaced sysctls the Sentry has, with values Linux takes."""
    from sentry.kernel.sysctl import SysctlError, normalize

    for k, value in v.items():
        if not isinstance(value, str):
            raise _field(f"linux.sysctl.{k}", "must be a string")
        try:
            normalize(k, value)
        except SysctlError as e:
            raise _field(f"linux.sysctl.{k}", str(e)) from None
    return dict(v)


def _oom(v: Any) -> int | None:
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int) or not -1000 <= v <= 1000:
        raise _field("process.oomScoreAdj", "must be an integer from -1000 to 1000")
    return v


def _mount(m: Any, i: int) -> Mount:
    where = f"mounts[{i}]"
    if not isinstance(m, dict):
        raise _field(where, "must be an object")
    dest = _get(m, "destination", f"{where}.", str, required=True)
    if not dest.startswith("/"):
        raise _field(f"{where}.destination", "must be an absolute path")
    opts = _strings(_get(m, "options", f"{where}.", list, default=[]), f"{where}.options")
    kind = _get(m, "type", f"{where}.", str, default="")
    if not kind and ("bind" in opts or "rbind" in opts):
        kind = "bind"
    return Mount(destination=os.path.normpath(dest), type=kind,
                 source=_get(m, "source", f"{where}.", str, default=""), options=opts)


HOOK_KINDS = ("prestart", "createRuntime", "createContainer", "startContainer", "poststart",
              "poststop")


def _hooks(h: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for kind in HOOK_KINDS:
        items = _get(h, kind, "hooks.", list, default=[])
        for i, hook in enumerate(items):
            where = f"hooks.{kind}[{i}]"
            if not isinstance(hook, dict):
                raise _field(where, "must be an object")
            p = _get(hook, "path", f"{where}.", str, required=True)
            if not p.startswith("/"):
                raise _field(f"{where}.path", "must be an absolute path")
            _strings(hook.get("args", []), f"{where}.args")
            _strings(hook.get("env", []), f"{where}.env")
            t = hook.get("timeout")
            if t is not None and (isinstance(t, bool) or not isinstance(t, int) or t <= 0):
                raise _field(f"{where}.timeout", "must be a positive integer")
        out[kind] = items
    return out


NAMESPACE_TYPES = ("pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time")


def _namespaces(ns: list[Any]) -> list[dict[str, str]]:
    out = []
    for i, n in enumerate(ns):
        if not isinstance(n, dict) or n.get("type") not in NAMESPACE_TYPES:
            raise _field(f"linux.namespaces[{i}].type",
                         f"must be one of {', '.join(NAMESPACE_TYPES)}")
        path = n.get("path", "")
        if not isinstance(path, str):
            raise _field(f"linux.namespaces[{i}].path", "must be a string")
        out.append({"type": n["type"], "path": path})
    return out
