"""Entry points that assemble a sandbox: platform + kernel + root file system + first task.

`ContainerSandbox` is an OCI container (`runsc_py create`/`start`).
`run_do` is `runsc_py do`: the host's root read-only under an in-memory writable layer,
the caller's cwd and environment, its stdio passed through, and the workload's exit status
returned (128+N for a signal), like `runsc do`. The workload runs as root with the
caller's capability sets when the caller is root (so a `do` run sees what a native run
sees; gVisor's `runsc do` gives all capabilities instead), else with all of them.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from collections.abc import Callable, Mapping
from sentry.record import dataclass, field

from sentry.abi.errno import EACCES, ENOENT, ENOTDIR, SysError
from sentry.kernel import loader
from sentry.kernel.creds import Credentials
from sentry.kernel.fd_table import FdTable
from sentry.kernel.kernel import Kernel
from sentry.kernel.sysctl import Sysctl
from sentry.kernel.thread_group import RLIMIT_NOFILE
from sentry.platform import get_platform, sentry_filter
from sentry.vfs.fsimpl.container_root import MountSpec
from sentry.vfs.fsimpl.host.machine import own_capabilities
from sentry.vfs.fsimpl.rootfs import build_do_root, controlling_tty, stdio_files

log = logging.getLogger("sentry")

EXIT_CANNOT_EXECUTE = 126
EXIT_NOT_FOUND = 127


class LaunchError(Exception):
    """The workload could not be started; `status` is the shell-style exit status."""

    def __init__(self, msg: str, status: int) -> None:
        super().__init__(msg)
        self.status = status


def find_program(t, name: bytes, env: Mapping[str, str]) -> bytes:
    """execvp's search: a name without '/' is looked up along PATH in the sandbox."""
    if b"/" in name:
        return name
    from sentry.syscalls.sys_file import open_file

    denied = None
    for d in env.get("PATH", "/usr/local/bin:/usr/bin:/bin").split(":"):
        cand = os.fsencode(d or ".") + b"/" + name
        try:
            f = open_file(t, loader.AT_FDCWD, cand, loader.O_RDONLY | loader.O_PATH, 0)
            try:
                f.check_exec(t.creds)
            finally:
                loader.release(f)
            return cand
        except (ENOENT, ENOTDIR):
            continue
        except EACCES:
            denied = denied or cand
    return denied or name


def _launch_error(name: bytes, e: SysError) -> LaunchError:
    what = os.fsdecode(name)
    reason = os.strerror(e.errno).lower()
    status = EXIT_NOT_FOUND if isinstance(e, (ENOENT, ENOTDIR)) else EXIT_CANNOT_EXECUTE
    if "/" not in what and isinstance(e, ENOENT):
        reason = "command not found"
    return LaunchError(f"{what}: {reason}", status)


def run_do(
    argv: list[str],
    *,
    platform: str = "seccomp",
    strace: bool = False,
    debug: bool = False,
    cwd: str | None = None,
    env: Mapping[str, str] | None = None,
    rootfs: str = "/",
    log: logging.Logger | None = None,
    report: bool = False,
    network: str = "none",
    sentry_seccomp: str = "kill",
    file_access: str = "exclusive",
    max_tasks: int = 0,
    upper_pages: int | None = None,
    on_launch: Callable[[int], None] | None = None,
    rmdir_dirfds: tuple[int, ...] = (),
) -> int:
    """Runs argv in a new sandbox; returns the exit status to propagate.

    Limits: `max_tasks` caps the sandbox's tasks (clone gets EAGAIN beyond; 0: the
    kernel's TASKS_LIMIT); `upper_pages` is the in-memory upper layer's size in pages
    (ENOSPC beyond; None: half of RAM, as a Linux tmpfs; 0: none). `on_launch(host_pid)`
    runs once the first task exists, before any of the workload runs (`do` moves it into
    its cgroups there: the tasks it clones follow, the Sentry stays out). `rmdir_dirfds`
    are directories the Sentry may still remove entries of under its own filter
    (sentry_filter.build).

    `sentry_seccomp` is the Sentry's own filter (sentry/platform/sentry_filter.py): "kill"
    (the default), "log" (allow and log what is not listed) or "off". `file_access`
    "exclusive" lets the Sentry cache the root filesystem's attributes (hostfs.py).

    Raises LaunchError (status 127 or 126, with a one-line message) if the program cannot
    be found or executed.
    """
    env = dict(os.environ if env is None else env)
    cwd = cwd or os.getcwd()
    from sentry import netstack

    netstack.set_network(network)
    kernel = Kernel(get_platform(platform), hostname=os.uname().nodename, strace=strace,
                    report=report)
    if max_tasks > 0:
        kernel.max_tasks = max_tasks
    kernel.on_init_launched = on_launch
    root = build_do_root(rootfs, upper_pages, exclusive=file_access == "exclusive")
    fds = FdTable()
    stdio = stdio_files((0, 1, 2), root)
    for f in stdio:
        fds.install(f)
    creds = Credentials()
    if os.geteuid() == 0 and (own := own_capabilities()) is not None:
        creds.set_caps(own)
    t = kernel.new_init_task(fds, root.fs_context(os.fsencode(cwd)), creds)
    t.tg.controlling_tty = controlling_tty(stdio)
    root.expose_console(t.tg.controlling_tty)
    if t.tg.controlling_tty is not None:
        # The session `do` was started in, outside the PID namespace (0 inside).
        t.tg.controlling_tty.tty_job.attach(t.tg)
    args = [os.fsencode(a) for a in argv]
    envp = [os.fsencode(k) + b"=" + os.fsencode(v) for k, v in env.items()]
    path = find_program(t, args[0], env)
    try:
        plan = loader.prepare(t, path, args, envp)
    except SysError as e:
        raise _launch_error(path, e) from None
    # The terminal's ^C reaches the workload directly (same process group); the Sentry
    # must outlive it to report the status.
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        kernel.start_init(plan)
        # Set-up is done (the task launched, the root open): the Sentry restricts itself.
        sentry_filter.install(sentry_seccomp, network=network, rmdir_dirfds=rmdir_dirfds)
        return kernel.run()
    finally:
        signal.signal(signal.SIGINT, old)
        if kernel.report is not None:
            print(kernel.report.render(), file=sys.stderr)


# -- OCI containers -------------------------------------------------------------------


@dataclass
class ContainerConfig:
    """What the Sentry needs from an OCI bundle (runsc_py/container/spec.py fills it)."""

    rootfs: str
    args: list[str]
    env: list[str]
    cwd: str = "/"
    readonly: bool = False
    uid: int = 0
    gid: int = 0
    groups: list[int] = field(default_factory=list)
    hostname: str = ""
    rlimits: list[tuple[int, int, int]] = field(default_factory=list)  # (resource, soft, hard)
    # process.capabilities as masks by set name; None (no field): root keeps all of them
    capabilities: dict[str, int] | None = None
    sysctl: dict[str, str] = field(default_factory=dict)  # linux.sysctl, validated
    mounts: list[MountSpec] = field(default_factory=list)
    masked_paths: list[str] = field(default_factory=list)
    readonly_paths: list[str] = field(default_factory=list)
    platform: str = "seccomp"
    strace: bool = False
    network: str = "none"
    stdio: tuple[int, int, int] = (0, 1, 2)
    sentry_seccomp: str = "kill"  # the Sentry's own filter (sentry_filter.py)
    file_access: str = "exclusive"  # the rootfs: "exclusive" caches attributes (hostfs.py)
    max_tasks: int = 0  # linux.resources.pids.limit, the task table's cap (0: TASKS_LIMIT)


class ContainerSandbox:
    """A container's Sentry between `create` (everything set up, the workload's program
    resolved and checked) and `start` (the first task launched)."""

    def __init__(self, cfg: ContainerConfig) -> None:
        from sentry import netstack
        from sentry.vfs.fsimpl.container_root import build_container_root

        netstack.set_network(cfg.network)  # ValueError for a mode that does not exist yet
        self.cfg = cfg
        self.kernel = Kernel(get_platform(cfg.platform), hostname=cfg.hostname or "runsc",
                             strace=cfg.strace, defer_handlers=True)
        if cfg.max_tasks > 0:
            self.kernel.max_tasks = cfg.max_tasks
        self.kernel.sysctl = Sysctl(cfg.sysctl)
        self.root = build_container_root(cfg.rootfs, cfg.readonly, cfg.mounts,
                                         cfg.masked_paths, cfg.readonly_paths, self.kernel,
                                         exclusive=cfg.file_access == "exclusive")
        fds = FdTable()
        stdio = stdio_files(cfg.stdio, self.root)
        for f in stdio:
            fds.install(f)
        creds = Credentials.for_ids(cfg.uid, cfg.gid, cfg.groups)
        if cfg.capabilities is not None:
            creds.set_caps(cfg.capabilities)  # then execve's rules apply, as after runc's
        t = self.kernel.new_init_task(fds, self.root.fs_context(os.fsencode(cfg.cwd)), creds)
        t.tg.controlling_tty = controlling_tty(stdio)
        self.root.expose_console(t.tg.controlling_tty)
        for res, soft, hard in cfg.rlimits:
            if 0 <= res < len(t.tg.rlimits):
                t.tg.rlimits[res] = (soft, hard)
        fds.limit = t.tg.rlimits[RLIMIT_NOFILE][0]
        env = dict(kv.partition("=")[::2] for kv in cfg.env)
        args = [os.fsencode(a) for a in cfg.args]
        envp = [os.fsencode(kv) for kv in cfg.env]
        path = find_program(t, args[0], env)
        try:
            self.plan = loader.prepare(t, path, args, envp)
        except SysError as e:
            raise _launch_error(path, e) from None

    def prepare(self) -> None:
        """What the launch and the run need that can be made while `start` is awaited."""
        self.kernel.load_handlers()
        self.kernel.platform.prepare()

    def run(self) -> int:
        """Launches the workload and runs the Sentry until it exits; its exit code."""
        old = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            self.kernel.start_init(self.plan)
            # Set-up is done (the first task and the exec zygote launched, the root open,
            # the control socket listening): the Sentry restricts itself, as in `do`.
            sentry_filter.install(self.cfg.sentry_seccomp, network=self.cfg.network,
                                  container=True)
            return self.kernel.run()
        finally:
            signal.signal(signal.SIGINT, old)
