"""Container state under --root/<id>/: state.json, its lock, and the status guards.

Every operation is refresh → guard → act → save, under an flock on <root>/<id>/lock.
state.json carries the OCI state's field names (ociVersion, id, status, pid, bundle,
annotations) plus our own (created, pidStartTime, owner, rootfs). It is written to a
temporary file and renamed. A saved pid is trusted only while /proc/<pid>/stat still
shows the start time recorded with it (PID reuse), so `state` and `list` are right after
a crash of the sandbox process.

Every runtime command loads this module, so it keeps to modules that cost no start-up:
no json package (runsc_py/container/jsonfast.py), re, enum, dataclasses, datetime, typing
or shutil (each is milliseconds, on each of the shim's calls).
"""

from __future__ import annotations

import errno
import fcntl
import os
import time

from runsc_py.container import jsonfast

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

OCI_VERSION = "1.0.2"
ID_PUNCTUATION = frozenset("_+-.")  # with letters and digits (regexp [\w+\-.])


class Status:
    """A container's status: one instance per OCI name (Status.CREATED ...; Status("created")
    finds it), compared with `is`, as an enum's members are."""

    __slots__ = ("name", "value")
    _members: dict[str, Status] = {}
    CREATING: Status
    CREATED: Status
    RUNNING: Status
    PAUSED: Status
    STOPPED: Status

    def __new__(cls, value: str) -> Status:
        try:
            return cls._members[value]
        except (KeyError, TypeError):
            raise ValueError(f"{value!r} is not a valid Status") from None

    @classmethod
    def _add(cls, name: str, value: str) -> None:
        member = object.__new__(cls)
        member.name, member.value = name, value
        cls._members[value] = member
        setattr(cls, name, member)

    def __repr__(self) -> str:
        return f"<Status.{self.name}: {self.value!r}>"

    def __reduce__(self) -> tuple[type, tuple[str]]:
        return Status, (self.value,)

    def can_start(self) -> bool:
        return self is Status.CREATED

    def can_kill(self) -> bool:
        return self in (Status.CREATED, Status.RUNNING, Status.PAUSED)

    def can_delete(self) -> bool:
        return self in (Status.STOPPED, Status.CREATING)

    def can_exec(self) -> bool:
        return self in (Status.CREATED, Status.RUNNING)


for _name in ("CREATING", "CREATED", "RUNNING", "PAUSED", "STOPPED"):
    Status._add(_name, _name.lower())


class ContainerError(Exception):
    """A lifecycle error; the message says which container and what went wrong."""


class NotFound(ContainerError):
    pass


def check_id(cid: str) -> str:
    if (not cid or cid in (".", "..")
            or not all(c.isalnum() or c in ID_PUNCTUATION for c in cid)):
        raise ContainerError(f"invalid container id {cid!r}")
    return cid


def pid_start_time(pid: int) -> int | None:
    """Field 22 of /proc/<pid>/stat (start time in clock ticks), None if there is no such
    process or it is a zombie (dead, not yet reaped)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except OSError:
        return None
    rest = data[data.rindex(b")") + 2:].split()
    if rest[0] in (b"Z", b"X"):
        return None
    return int(rest[19])


class State:
    """state.json's fields (OCI names, then ours), as attributes."""

    FIELDS = ("id", "bundle", "status", "pid", "annotations", "ociVersion", "created",
              "pidStartTime", "rootfs", "owner", "cgroupPaths")

    def __init__(self, id: str, bundle: str, status: str = Status.CREATING.value,  # noqa: A002
                 pid: int = 0, annotations: dict[str, str] | None = None,
                 ociVersion: str = OCI_VERSION, created: str = "",  # noqa: N803
                 pidStartTime: int = 0, rootfs: str = "", owner: str = "",  # noqa: N803
                 cgroupPaths: dict[str, str] | None = None) -> None:  # noqa: N803
        self.id, self.bundle, self.status, self.pid = id, bundle, status, pid
        self.annotations = {} if annotations is None else annotations
        self.ociVersion = ociVersion  # noqa: N815 - OCI field name
        self.created = created
        self.pidStartTime = pidStartTime  # noqa: N815
        self.rootfs, self.owner = rootfs, owner
        self.cgroupPaths = {} if cgroupPaths is None else cgroupPaths  # noqa: N815

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.FIELDS}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, State) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        return f"State({', '.join(f'{k}={v!r}' for k, v in self.to_dict().items())})"

    def oci(self) -> dict[str, Any]:
        """The OCI runtime spec's state object."""
        out = {"ociVersion": self.ociVersion, "id": self.id, "status": self.status,
               "pid": self.pid, "bundle": self.bundle, "annotations": self.annotations}
        if self.status == Status.STOPPED.value:
            out["pid"] = 0
        return out

    def runc_state(self) -> dict[str, Any]:
        """`state`'s output: runc's fields (the OCI ones plus rootfs, created, owner)."""
        out = self.oci()
        out.update(rootfs=self.rootfs, created=self.created, owner=self.owner)
        return out

    @property
    def state(self) -> Status:
        return Status(self.status)

    def alive(self) -> bool:
        return self.pid > 0 and pid_start_time(self.pid) == self.pidStartTime


def now() -> str:
    """The time in RFC 3339, UTC, with microseconds (runc's `created`)."""
    ns = time.time_ns()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ns // 10**9)) + \
        f".{ns // 1000 % 10**6:06d}Z"


class Store:
    """The containers under one --root."""

    def __init__(self, root: str) -> None:
        self.root = os.path.abspath(root)

    def dir(self, cid: str) -> str:
        return os.path.join(self.root, check_id(cid))

    def ids(self) -> list[str]:
        try:
            names = os.listdir(self.root)
        except FileNotFoundError:
            return []
        return sorted(n for n in names if os.path.isfile(os.path.join(self.root, n, "state.json")))

    def locked(self, cid: str, *, create: bool = False) -> Locked:
        """`with store.locked(id) as d:` holds <root>/<id>/lock, d is the container's
        directory. NotFound if it does not exist (unless `create`: then it must not exist
        yet, and is made)."""
        return Locked(self, cid, create)

    def load(self, cid: str) -> State:
        """Reads state.json and refreshes the status from the saved pid."""
        path = os.path.join(self.dir(cid), "state.json")
        try:
            with open(path, "rb") as f:
                data = jsonfast.loads(f.read())
        except FileNotFoundError:
            raise NotFound(f"container {cid} does not exist") from None
        except ValueError as e:
            raise ContainerError(f"loading container {cid}: bad state.json: {e}") from None
        st = State(**{k: v for k, v in data.items() if k in State.FIELDS})
        return refresh(st, self.dir(cid))

    def save(self, st: State) -> None:
        d = self.dir(st.id)
        tmp = os.path.join(d, f".state.json.{os.getpid()}")
        # Written whole, then renamed: a reader sees the old file or the new one. No
        # fsync: the state lives as long as the boot (/run), as runc's does.
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(jsonfast.dumps(st.to_dict()))
        os.rename(tmp, os.path.join(d, "state.json"))

    def remove(self, cid: str) -> None:
        d = self.dir(cid)
        try:
            names = os.listdir(d)
        except FileNotFoundError:
            return
        try:  # the state directory is flat: its files, then itself
            for name in names:
                os.unlink(os.path.join(d, name))
            os.rmdir(d)
        except OSError:
            import shutil

            shutil.rmtree(d, ignore_errors=True)


class Locked:
    """Store.locked's context manager (a class: contextlib costs start-up time)."""

    def __init__(self, store: Store, cid: str, create: bool) -> None:
        self.store, self.cid, self.create = store, cid, create
        self.fd = -1

    def __enter__(self) -> str:
        cid, d = self.cid, self.store.dir(self.cid)
        if self.create:
            os.makedirs(self.store.root, mode=0o711, exist_ok=True)
            try:
                os.mkdir(d, 0o711)
            except FileExistsError:
                raise ContainerError(f"container with id {cid} already exists") from None
        fd = _open_lock(d)
        if fd < 0:
            raise NotFound(f"container {cid} does not exist")
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            if not self.create and not os.path.exists(os.path.join(d, "state.json")):
                if not os.path.isdir(d):
                    raise NotFound(f"container {cid} does not exist")
        except BaseException:
            os.close(fd)
            raise
        self.fd = fd
        return d

    def __exit__(self, *exc: object) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def _open_lock(d: str) -> int:
    try:
        return os.open(os.path.join(d, "lock"), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError as e:
        if e.errno in (errno.ENOENT, errno.ENOTDIR):
            return -1
        raise


def refresh(st: State, d: str) -> State:
    """Marks a container whose sandbox process is gone (or whose pid was reused) stopped;
    a frozen cgroup reads as paused."""
    s = st.state
    if s in (Status.CREATED, Status.RUNNING, Status.PAUSED) and not st.alive():
        st.status = Status.STOPPED.value
    elif s is Status.CREATED and os.path.exists(os.path.join(d, "started")):
        st.status = Status.RUNNING.value
    return st


def read_exit_status(d: str) -> int | None:
    """The workload's exit code, written by the sandbox process as it exits."""
    try:
        with open(os.path.join(d, "exit_status"), "rb") as f:
            return int(f.read().strip() or b"-1")
    except (OSError, ValueError):
        return None
