"""The platform interface and what both platforms share (launch, events, memory, injection).

A Platform owns the native loop. The kernel asks it for the next event, answers trapped
calls through it, and uses it to act on stopped tasks:
- `launch()` starts the first task in its namespaces, stopped at the stub's exec;
- `next_event()` / `answer_notify_and_next()` return the next Event;
- `answer_stop(ctx, result)` completes a call trapped by a ptrace stop and resumes the task;
- `inject(ctx, nr, *args, donate_fd=)` runs a host syscall inside a stopped task;
- `resume(ctx, sig)` restarts a stopped task the platform's way.
Per-task state is a Context (host tid, where the task is stopped, signals deferred by an
injection). Memory goes through AddressSpace (process_vm_readv/writev).
"""

from __future__ import annotations

import abc
import errno
import fcntl
import logging
import os
import struct
from collections.abc import Callable
from functools import partial
from typing import Any

from sentry.abi.errno import EFAULT, ENAMETOOLONG
from sentry.kernel.args import AHEAD_PATH
from sentry.platform import filter as bpf
from sentry.platform.native import HostError, check, ffi, lib, stub_image
from sentry.syscalls.table import READ_AHEAD

_PATH_MAX = 4096  # Linux's limit on a path argument, NUL included

ST_AT_ENTRY = lib.ST_AT_ENTRY
ST_AT_OTHER = lib.ST_AT_OTHER

EV_NOTIFY = lib.ST_EV_NOTIFY
EV_SECCOMP = lib.ST_EV_SECCOMP
EV_SYSCALL = lib.ST_EV_SYSCALL
EV_WAIT = lib.ST_EV_WAIT
EV_FD = lib.ST_EV_FD
EV_TIMEOUT = lib.ST_EV_TIMEOUT

# struct st_event (native/trap.h) read in one call: EVENT_LAYOUT.unpack_from(ev_buffer) is
# (a0..a5, kind, tid, status, fd, nr, arch, id, ip, sp), and its first six items are the
# call's argument registers, as Args takes them.
EVENT_LAYOUT = struct.Struct("=6QiiiiiIQQQ")
EV_KIND, EV_TID, EV_STATUS, EV_NR, EV_ARCH, EV_ID, EV_IP = 6, 7, 8, 10, 11, 12, 13
# The same struct as a notification needs it: (a0..a5, kind, tid, nr, id, path_arg, path),
# without status, fd, arch, ip and sp (the loop reads every event so first; the others
# again whole, EVENT_LAYOUT). The last two are the path read ahead (Args.path).
NOTIFY_LAYOUT = struct.Struct("=6Qii8xi4xQ16xi256p")
NV_NR, NV_ID = 8, 9

log = logging.getLogger("sentry")
AUDIT_ARCH_X86_64 = 0xC000003E
LAUNCH_FAIL = 200
SECCOMP_USER_NOTIF_FLAG_CONTINUE = 1
ERESTARTSYS = 512
# A handler's result meaning "0, and the task's donation slot gets the host fd in
# ctx.answer_fd" (notify lane: answer_notify_donating). The kernel's own such results
# (DETACHED, HOST) are below SENTINELS too: never a value or an -errno.
DONATING = -(1 << 60)
# A handler's result meaning "the host runs the notified call as issued, once the task's fd
# ctx.answer_at holds the host fd ctx.answer_fd" (answer_notify_continue_with_fd): a file
# mmap by the guest's own fd number (sys_mmap), on the seccomp platform.
CONTINUING_WITH_FD = -(1 << 58)
SENTINELS = -4096
RESTART_MAX = 516  # ERESTARTSYS .. ERESTART_RESTARTBLOCK: never a value a call returns
LAUNCH_STEPS = {
    1: "prctl(PR_SET_PDEATHSIG)", 2: "waiting for the Sentry", 3: "making / private",
    4: "mounting the empty root", 5: "chdir to the empty root", 6: "pivot_root",
    7: "detaching the old root", 8: "chdir /", 9: "remounting the root read-only",
    10: "sethostname", 18: "placing the stub fd", 19: "close_range", 11: "dropping the "
    "bounding set", 12: "clearing ambient caps", 13: "setgroups", 14: "setresgid",
    15: "setresuid", 16: "capset", 17: "no_new_privs", 20: "installing the seccomp filter",
    21: "exec of the stub",
}


def _stub_zero_byte(image: bytes) -> int:
    """The address of a NUL byte in the stub's mapped ELF header: the "" that an injected
    execveat(fd, "", …, AT_EMPTY_PATH) needs in the task's memory."""
    phoff, phnum = int.from_bytes(image[32:40], "little"), int.from_bytes(image[56:58], "little")
    for i in range(phnum):
        ph = image[phoff + 56 * i : phoff + 56 * (i + 1)]
        ptype, off, vaddr = (int.from_bytes(ph[0:4], "little"), int.from_bytes(ph[8:16], "little"),
                             int.from_bytes(ph[16:24], "little"))
        if ptype == 1 and off == 0:
            return vaddr + image.index(b"\0", 9)  # e_ident's padding is zero
    raise RuntimeError("the stub has no PT_LOAD at offset 0")


ZERO_TS_MARKER = b"runsc:zero-ts:16"  # native/stub.c's st_zero_timespec follows it


def _stub_text_addr(image: bytes, pattern: bytes) -> int:
    """The address of the one occurrence of `pattern` in the stub's code (native/stub.c)."""
    at = image.find(pattern)
    if at < 0 or image.find(pattern, at + 1) >= 0:
        raise RuntimeError(f"the stub's code lacks a unique {pattern.hex()}")
    phoff, phnum = int.from_bytes(image[32:40], "little"), int.from_bytes(image[56:58], "little")
    for i in range(phnum):
        ph = image[phoff + 56 * i : phoff + 56 * (i + 1)]
        ptype, off, vaddr, filesz = (int.from_bytes(ph[0:4], "little"),
                                     int.from_bytes(ph[8:16], "little"),
                                     int.from_bytes(ph[16:24], "little"),
                                     int.from_bytes(ph[32:40], "little"))
        if ptype == 1 and off <= at < off + filesz:
            return vaddr + at - off
    raise RuntimeError("the stub's code is outside its PT_LOADs")


class TaskDied(Exception):
    """The task died while the Sentry acted on it; `status` is its wait status."""

    def __init__(self, status: int) -> None:
        super().__init__(f"task died (status {status:#x})")
        self.status = status


class Context:
    """The platform's per-task state."""

    __slots__ = ("tid", "where", "deferred_signals", "clone_flags", "clone_child", "started",
                 "on_start", "rerun", "rerun_call", "rewritten", "answer_fd", "answer_at")

    def __init__(self, tid: int) -> None:
        self.tid = tid
        self.where = ST_AT_OTHER
        self.deferred_signals: list[int] = []
        self.clone_flags = 0  # of the clone call under way (read at its ptrace event)
        # The clone handler's work on the new child at that event (CLONE_PIDFD), or None.
        self.clone_child: Callable[[Any], None] | None = None
        self.started = False  # past its first stop
        self.on_start: Callable[[], None] | None = None  # what a new task does first
        # ptrace platform, a call re-run on the host: "skipped_exit" → "entry" → "running"
        self.rerun: str | None = None
        self.rerun_call: tuple[int, int] = (-1, 0)  # (nr, ip) of the call trapped last
        # A call the host runs as another (rewrite_call): the caller's registers to put back.
        self.rewritten: tuple[int, ...] | None = None
        self.answer_fd = -1  # the host fd a DONATING (CONTINUING_WITH_FD) answer donates
        self.answer_at = -1  # and the task's fd a CONTINUING_WITH_FD answer puts it on


_alloc_uncleared = ffi.new_allocator(should_clear_after_alloc=False)
# The C functions of every path argument and result copy, looked up on lib once (a cffi lib
# attribute is a dictionary lookup of its own at every use).
_mem_read_cstr, _mem_write = lib.st_mem_read_cstr, lib.st_mem_write


class AddressSpace:
    """A task's memory as the MemoryBackend of sentry.kernel.memory.Memory."""

    __slots__ = ("pid", "_buf", "_bufsize", "_got", "pread_to")
    _unpack = staticmethod(ffi.unpack)

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self._got = ffi.new("long *")
        self._bufsize = 1 << 16
        self._buf = _alloc_uncleared("char[]", self._bufsize)  # one per task: no memset
        # pread_to(fd, off, n, addr): the Sentry's pread of its host fd straight into this
        # memory (n <= 64 KiB): the count delivered (fewer than read at a bad page: see
        # pread_got), or -errno. The C function itself, bound to this task (no Python frame).
        self.pread_to = partial(lib.st_pread_to_task, pid, self._got)

    def read_raw(self, addr: int, n: int) -> bytes:
        if n > self._bufsize:
            buf = ffi.new("char[]", n)
        else:
            buf = self._buf
        got = lib.st_mem_read(self.pid, addr, buf, n)
        if got < 0:
            return b""
        return ffi.buffer(buf, got)[:]

    def read_cstr(self, addr: int, limit: int) -> bytes:
        """Memory.read_cstr in one C call (limit is at most PATH_MAX in practice)."""
        buf = self._buf if limit <= self._bufsize else ffi.new("char[]", limit)
        n = lib.st_mem_read_cstr(self.pid, addr, buf, limit)
        if n < 0:
            raise ENAMETOOLONG() if n == -ENAMETOOLONG.errno else EFAULT()
        return ffi.buffer(buf, n)[:]

    def read_path(self, addr: int) -> bytes:
        """Memory.read_path in one Python frame: a path of at most PATH_MAX bytes (NUL
        included) at addr, EFAULT for NULL."""
        if addr == 0:
            raise EFAULT()
        n = _mem_read_cstr(self.pid, addr, self._buf, _PATH_MAX)
        if n < 0:
            raise ENAMETOOLONG() if n == -ENAMETOOLONG.errno else EFAULT()
        return self._unpack(self._buf, n)

    def write(self, addr: int, data: bytes) -> None:
        """Memory.write in one Python frame: all of data at addr, or EFAULT."""
        if _mem_write(self.pid, addr, data, len(data)) != len(data):
            raise EFAULT()

    def write_raw(self, addr: int, data: bytes) -> int:
        got = lib.st_mem_write(self.pid, addr, data, len(data))
        return max(got, 0)

    def pread_got(self) -> int:
        """How many bytes the last pread_to read from its file."""
        return self._got[0]

    def poke(self, addr: int, data: bytes) -> None:
        """Writes through /proc/pid/mem, read-only pages included (the loader only)."""
        n = check(lib.st_mem_poke(self.pid, addr, data, len(data)), "poke")
        if n != len(data):
            raise HostError(errno.EFAULT, f"poke {addr:#x}: short write")


class Platform(abc.ABC):
    """Shared machinery; subclasses say how calls are trapped and completed."""

    name = ""
    resume_how = lib.ST_CONT

    def __init__(self) -> None:
        check(lib.st_loop_init(), "loop init")
        self.ev = ffi.new("struct st_event *")
        at = partial(ffi.offsetof, "struct st_event")
        if at("path_arg") != EVENT_LAYOUT.size:
            raise RuntimeError("struct st_event and EVENT_LAYOUT disagree")
        # (nr, id, path_arg and path where NOTIFY_LAYOUT reads them, the tuple as Args.path
        # expects it)
        if (at("nr"), at("id"), at("path_arg") + 4, at("path") + 256) != (
                64, 72, at("path"), NOTIFY_LAYOUT.size) or len(
                NOTIFY_LAYOUT.unpack_from(bytes(NOTIFY_LAYOUT.size))) != AHEAD_PATH + 1:
            raise RuntimeError("struct st_event and NOTIFY_LAYOUT disagree")
        for nr, i in READ_AHEAD.items():
            check(lib.st_set_read_ahead(nr, i), "read-ahead table")
        self.ev_buffer = ffi.buffer(self.ev)
        lib.st_set_hot_event(self.ev)
        self.listener = -1
        self.stub = stub_image()
        # The stub's entry point is its `syscall` instruction (native/stub.c).
        self.stub_ip = int.from_bytes(self.stub[24:32], "little")
        self.empty_string_addr = _stub_zero_byte(self.stub)
        # The batch runner (native/stub.c): its start, the ip after its `syscall` (where
        # its calls are seen) and after its final int3 (where it stops).
        self.batch_ip = self.stub_ip + 16
        self.batch_sys_ip = _stub_text_addr(self.stub, b"\x0f\x05\x48\x89\x03") + 2
        self.batch_trap_ip = _stub_text_addr(self.stub, b"\xcc\x0f\x0b") + 1
        self.r8_return_ip = _stub_text_addr(self.stub, b"\x4d\x89\xd8\xff\xe1")
        # 16 zero bytes: the zero timeout of the host ppoll of sentry/kernel/sigmask.py.
        self.zero_timespec_addr = _stub_text_addr(self.stub, ZERO_TS_MARKER) + len(ZERO_TS_MARKER)
        self.stub_fd = os.memfd_create("runsc-stub", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
        os.write(self.stub_fd, self.stub)
        # Every task holds it (ST_STUB_SLOT): sealed, nobody can change the stub.
        fcntl.fcntl(self.stub_fd, fcntl.F_ADD_SEALS, fcntl.F_SEAL_WRITE | fcntl.F_SEAL_GROW
                    | fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_SEAL)
        # Host fds donated by answer_notify_donating whose guest names (map_names) are
        # not noted yet: noted at their first mmap, only if it comes.
        self.unnamed: set[int] = set()
        self._args = ffi.new("unsigned long long[6]")
        self._res = ffi.new("long long *")
        self._sig = ffi.new("int *")
        self._status = ffi.new("int *")

    # -- set-up --------------------------------------------------------------------

    @abc.abstractmethod
    def filter_bpf(self) -> bytes:
        """The platform's seccomp filter as BPF instructions."""

    _bpf: bytes | None = None

    def batch_prefix(self) -> bytes:
        """The filter's first instructions: the loader's batch maps its two slots."""
        return bpf.batch_prefix(self.batch_sys_ip, (lib.ST_EXEC_SLOT, lib.ST_INTERP_SLOT))

    def prepare(self) -> None:
        """Builds the filter ahead of launch (a runtime does it while `start` is awaited)."""
        if self._bpf is None:
            self._bpf = self.filter_bpf()

    def launch(self, *, new_net: bool = True, hostname: str = "runsc",
               drop_ids: tuple[int, int] | None = (65534, 65534), empty_dir: str = "/tmp") -> int:
        """Starts the first task; returns its host pid. Its first event is the stub exec."""
        self.prepare()
        bpf_bytes = self._bpf
        assert bpf_bytes is not None
        cfg = ffi.new("struct st_launch_cfg *")
        keep = [ffi.new("unsigned char[]", bpf_bytes), ffi.new("char[]", empty_dir.encode()),
                ffi.new("char[]", hostname.encode())]
        cfg.bpf, cfg.empty_dir, cfg.hostname = keep
        cfg.bpf_len = len(bpf_bytes) // 8
        cfg.stub_fd = self.stub_fd
        cfg.flags = (lib.ST_LAUNCH_NEWNET if new_net else 0) | (
            lib.ST_LAUNCH_DROP_IDS if drop_ids else 0)
        if drop_ids:
            cfg.uid, cfg.gid = drop_ids
        return check(lib.st_launch(cfg), "launch")

    def take_listener(self, pid: int, fd_in_task: int) -> None:
        """Copies the task's seccomp listener (launch hand-over) into the Sentry's loop."""
        self.listener = check(lib.st_pidfd_getfd(pid, fd_in_task), "pidfd_getfd(listener)")
        os.set_inheritable(self.listener, False)
        check(lib.st_loop_set_listener(self.listener), "epoll listener")
        self.enable_sync_wakeup()

    def enable_sync_wakeup(self) -> None:  # noqa: B027 - only seccomp has a listener flag
        """Asks for synchronous wake-ups on the listener where the platform benefits."""

    # -- events ----------------------------------------------------------------------

    def next_event(self, timeout_ms: int = -1):
        check(lib.st_next_event(self.ev, timeout_ms), "next event")
        return self.ev

    def answer_notify_and_next(self, notif_id: int, result: int, timeout_ms: int = -1):
        if result < 0:
            rc = lib.st_notify_send_and_next(notif_id, 0, result, self.ev, timeout_ms)
        else:
            rc = lib.st_notify_send_and_next(notif_id, result, 0, self.ev, timeout_ms)
        check(rc, "notify send")
        return self.ev

    # The hot path of answer_notify_and_next, for the loop to call itself:
    # answer_and_next_raw(id, result) -> rc, with no timeout; the event lands in self.ev.
    answer_and_next_raw = staticmethod(lib.st_answer_and_next)
    # answer_within_raw(id, result, timeout_ms) -> rc: the same, waiting at most timeout_ms.
    answer_within_raw = staticmethod(lib.st_answer_within)
    # answer_write_raw(tid, addr, data, len, id, result, timeout_ms) -> rc: a handler's
    # (addr, data, result) answered: the write, then result (or -EFAULT), and the next event.
    answer_write_raw = staticmethod(lib.st_answer_write)

    def answer_notify(self, notif_id: int, result: int, ctx: Context | None = None) -> bool:
        """Answers a notification; False if it was cancelled meanwhile (signal, death).
        DONATING answers 0 donating ctx.answer_fd (answer_notify_donating)."""
        if result == DONATING and ctx is not None:
            return self.answer_notify_donating(notif_id, ctx.answer_fd)
        if result == CONTINUING_WITH_FD and ctx is not None:
            return self.answer_notify_continue_with_fd(notif_id, ctx.answer_fd, ctx.answer_at)
        val, err = (0, result) if result < 0 else (result, 0)
        rc = lib.st_notify_send(notif_id, val, err, 0)
        if rc == -errno.ENOENT:
            return False
        check(rc, "notify send")
        return True

    def answer_notify_donating(self, notif_id: int, host_fd: int) -> bool:
        """Answers a notified call with 0 and donates host_fd onto the task's donation slot
        in the same ioctl (ADDFD|SEND: the slot's number, 0, is the result); False if the
        call was cancelled meanwhile. The file's guest name is noted at its first mmap."""
        rc = lib.st_notify_send_donating(notif_id, host_fd)
        if rc in (-errno.ENOENT, -errno.EINPROGRESS, -errno.ESRCH):
            return False
        if rc < 0:  # not donated (the task's host fd limit, say): the plain answer
            return self.answer_notify(notif_id, 0)
        self.unnamed.add(host_fd)
        return True

    def answer_notify_continue_with_fd(self, notif_id: int, host_fd: int, task_fd: int) -> bool:
        """Puts host_fd on the task's fd task_fd (replacing what the host had there: the
        guest's fds are the Sentry's, and the host's table of a task holds only what the
        Sentry gave it), then lets the host run the notified call as issued; False if the
        call was cancelled meanwhile (it restarts, and notifies again)."""
        rc = lib.st_notify_continue_with_fd(notif_id, host_fd, task_fd)
        if rc in (1, -errno.ENOENT, -errno.EINPROGRESS, -errno.ESRCH):
            return False
        if rc < 0:  # the host refused the fd (its RLIMIT_NOFILE for the task): no mapping
            log.error("mmap: no host fd %d in the task (%s)", task_fd, os.strerror(-rc))
            return self.answer_notify(notif_id, -errno.ENOMEM)
        return True

    def continue_notify(self, notif_id: int) -> bool:
        """Lets the host run a notified call as issued; False if it was cancelled meanwhile."""
        rc = lib.st_notify_send(notif_id, 0, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE)
        if rc == -errno.ENOENT:
            return False
        check(rc, "notify continue")
        return True

    def notify_id_valid(self, notif_id: int) -> bool:
        return lib.st_notify_id_valid(notif_id) == 0

    def watch_fd(self, fd: int, events: int) -> None:
        check(lib.st_loop_watch(fd, events), "epoll watch")

    def unwatch_fd(self, fd: int) -> None:
        check(lib.st_loop_unwatch(fd), "epoll unwatch")

    # -- stopped tasks -------------------------------------------------------------

    def answer_stop(self, ctx: Context, result: int) -> None:
        """Completes a call trapped at a ptrace stop with `result` and resumes the task.

        -ERESTART* (a handler interrupted by the signal it just sent) keeps the syscall
        number on the ptrace platform, whose SYSEMU stop has skipped the call already, so
        that the host's signal code restarts it or returns EINTR; at a seccomp stop the call
        has not run yet and must be skipped, so it ends with EINTR.
        """
        if -RESTART_MAX <= result <= -ERESTARTSYS and ctx.where == ST_AT_OTHER:
            check(lib.st_set_return(ctx.tid, result, 0), "set return")
            self.resume(ctx)
            return
        if -RESTART_MAX <= result <= -ERESTARTSYS:
            result = -errno.EINTR
        check(lib.st_set_return(ctx.tid, result, 1), "set return")
        self.resume(ctx)

    def resume(self, ctx: Context, sig: int = 0) -> None:
        if not sig and ctx.deferred_signals:
            sig = ctx.deferred_signals.pop(0)
        ctx.where = ST_AT_OTHER
        # To the next syscall stop, whatever the platform, while the Sentry waits for one.
        how = lib.ST_SYSCALL if ctx.rerun else self.resume_how
        rc = lib.st_resume(ctx.tid, how, sig)
        if rc != -errno.ESRCH:  # ESRCH: it died meanwhile; its exit event follows
            check(rc, "resume")

    @abc.abstractmethod
    def run_trapped_on_host(self, ctx: Context) -> None:
        """Runs the call the task is stopped at on the host as issued, then resumes it."""

    @abc.abstractmethod
    def rerun_start(self, ctx: Context, watch_exit: bool = False) -> None:
        """Lets the host run the call the task is trapped at (its events come later).
        With `watch_exit` the Sentry sees the call's exit stop (ctx.rerun is set until then:
        the kernel's loop clears it there), so it learns that the call is over even if the
        call failed without an event (a clone the host refused)."""

    def skip_to_exit(self, ctx: Context, nr: int) -> None:
        """Moves a task parked at a seccomp stop (the call not run yet) to that call's exit
        stop, the call skipped and its number kept: the state the ptrace platform's SYSEMU
        stop is in, where interrupt_stop's -ERESTART* makes the host restart it (re-trap)
        or return EINTR, and answer_stop completes it."""
        check(lib.st_set_return(ctx.tid, -errno.ENOSYS, 1), "skip call")
        check(lib.st_resume(ctx.tid, lib.ST_SYSCALL, 0), "resume to the exit stop")
        status = self.wait_task(ctx.tid)
        if not os.WIFSTOPPED(status):
            raise TaskDied(status)
        if os.WSTOPSIG(status) != (5 | 0x80):  # SIGTRAP|0x80: nothing else can come first
            raise RuntimeError(f"task {ctx.tid}: stop {status:#x} instead of a syscall exit")
        regs = self.getregs(ctx)
        regs.orig_rax = nr
        self.setregs(ctx, regs)
        ctx.where = ST_AT_OTHER

    def interrupt_stop(self, ctx: Context, restart: int = -ERESTARTSYS) -> None:
        """Ends a call parked at a ptrace stop with -ERESTART* (the number kept, so the
        host restarts it or returns EINTR per the pending signal's SA_RESTART) and resumes."""
        rc = lib.st_set_return(ctx.tid, restart, 0)
        if rc != -errno.ESRCH:
            check(rc, "set return")
            self.resume(ctx)

    def listen(self, ctx: Context) -> None:
        """Leaves a task in its group-stop (PTRACE_LISTEN): it stays stopped, and a SIGCONT
        (or SIGKILL) wakes it, which the tracer sees as another PTRACE_EVENT_STOP (or its
        death)."""
        ctx.where = ST_AT_OTHER
        rc = lib.st_listen(ctx.tid)
        if rc != -errno.ESRCH:
            check(rc, "listen")

    def resume_cont(self, ctx: Context) -> None:
        """Resumes with PTRACE_CONT whatever the platform (the launch hand-over)."""
        ctx.where = ST_AT_OTHER
        check(lib.st_resume(ctx.tid, lib.ST_CONT, 0), "resume")

    def resume_syscall(self, ctx: Context) -> None:
        """Resumes to the next syscall stop (used to reach execve's exit stop)."""
        ctx.where = ST_AT_OTHER
        check(lib.st_resume(ctx.tid, lib.ST_SYSCALL, 0), "resume to syscall stop")

    @abc.abstractmethod
    def injected_lane(self, nr: int, args: tuple[int, ...]) -> str:
        """The lane of this platform's filter an injected call meets: "allow", "trace" or
        "notify"."""

    def inject(self, ctx: Context, nr: int, *args: int, donate_fd: int = -1,
               exec_tid: int = 0, others: tuple[int, ...] = (), stub_slot: bool = False,
               to_exec_event: bool = False) -> int:
        """Runs host syscall `nr` inside the stopped task; returns its raw result (-errno).

        For an exec: `exec_tid` is the tid the task has on the host once the exec succeeds
        (its leader's), and `others` the host tids of its other threads, which the exec
        kills; their exits are reaped during the call and never reach next_event().
        `to_exec_event` ends a successful exec at its PTRACE_EVENT_EXEC stop (registers
        but rax are the new image's), not at its syscall exit.
        `donate_fd` goes on ST_DONATE_SLOT (close-on-exec), or on ST_STUB_SLOT, kept across
        exec, with `stub_slot` (donate(), donate_stub()).
        """
        a = self._args
        full = (args + (0,) * 6)[:6]
        for i in range(6):
            a[i] = full[i] & 0xFFFFFFFFFFFFFFFF
        lane = "notify" if donate_fd >= 0 else self.injected_lane(nr, full)
        if donate_fd >= 0:
            notif = lib.ST_NOTIF_ADDFD_STUB if stub_slot else lib.ST_NOTIF_ADDFD
        elif lane == "notify":
            notif = lib.ST_NOTIF_CONTINUE
        elif lane == "trace":  # its seccomp stop is its entry: resumed with PTRACE_CONT
            notif = lib.ST_NOTIF_NONE | lib.ST_INJECT_TRACED
        else:
            notif = lib.ST_NOTIF_NONE
        if to_exec_event:
            notif |= lib.ST_INJECT_EXEC_EVENT
        tids = ffi.new("int[]", others) if others else ffi.NULL
        rc = lib.st_inject(ctx.tid, exec_tid or ctx.tid, tids, len(others), ctx.where,
                           self.stub_ip, nr, a, notif, donate_fd, self._res,
                           self._sig, self._status)
        ctx.where = ST_AT_OTHER
        if self._sig[0]:
            ctx.deferred_signals.append(self._sig[0])
        if rc == -errno.ENOTRECOVERABLE:
            log.error("task (host tid %d) ran something other than the injected call %d: "
                      "killed", ctx.tid, nr)
            raise TaskDied(self._status[0])
        if rc == -errno.ESRCH and self._status[0] != -1:
            raise TaskDied(self._status[0])
        check(rc, f"inject syscall {nr}")
        return self._res[0]

    def run_batch(self, ctx: Context, table: int, base: int,
                  donations: list[tuple[int, int]], enter: bool = False) -> None:
        """Runs the stub's batch (native/stub.c) whose table the caller wrote at `table`
        in the stopped task, the stub alone in a fresh address space (after its exec).
        Its doorbell gets the (host fd, slot) `donations`; the results are in the table.
        The task stays stopped at the batch's end; with `enter` (a batch that enters the
        program) it runs on once the doorbell is answered, and a signal held until then
        is sent to it again."""
        fds = ffi.new("int[]", [fd for fd, _ in donations]) if donations else ffi.NULL
        slots = ffi.new("int[]", [s for _, s in donations]) if donations else ffi.NULL
        rc = lib.st_run_batch(ctx.tid, self.batch_ip, table, base, self.batch_sys_ip,
                              self.batch_trap_ip, bpf.DOORBELL, fds, slots, len(donations),
                              int(enter), self._sig, self._status)
        ctx.where = ST_AT_OTHER
        if self._sig[0]:
            ctx.deferred_signals.append(self._sig[0])
        if enter and rc == 0:  # nobody resumes it with them: they are sent again
            for sig in ctx.deferred_signals:
                lib.st_tgkill(ctx.tid, ctx.tid, sig)
            ctx.deferred_signals.clear()
        if rc == -errno.ENOTRECOVERABLE:
            log.error("task (host tid %d) left the stub's batch: killed", ctx.tid)
            raise TaskDied(self._status[0])
        if rc == -errno.ESRCH and self._status[0] != -1:
            raise TaskDied(self._status[0])
        check(rc, "stub batch")

    # Whether a call trapped at its seccomp stop can run in place with r8 replaced
    # (run_in_place_r8): the seccomp platform's TRACE lane, not ptrace's SYSEMU stops.
    in_place = False

    def can_run_in_place(self, ctx: Context) -> bool:
        """Whether run_in_place_r8 / retrap may resume the task now: stopped at a call's
        entry (or right after a call injected there), no signal held for it."""
        return self.in_place and not ctx.deferred_signals

    def run_in_place_r8(self, ctx: Context, r8: int) -> None:
        """Lets the host run the call the task is trapped at (a seccomp stop) with r8
        replaced, as issued otherwise, and resumes it: the result goes straight to the
        task, and the stub's st_r8_return puts its r8 back (no exit stop)."""
        rc = lib.st_run_in_place_r8(ctx.tid, r8, self.r8_return_ip)
        ctx.where = ST_AT_OTHER
        if rc != -errno.ESRCH:  # died meanwhile: its exit event follows
            check(rc, "run in place")

    def retrap(self, ctx: Context) -> None:
        """After an injection ran in place of the trapped call: the task makes the call
        again (rewound onto its syscall instruction), which traps again."""
        rc = lib.st_retrap(ctx.tid)
        ctx.where = ST_AT_OTHER
        if rc != -errno.ESRCH:
            check(rc, "retrap")

    def donate(self, ctx: Context, host_fd: int, before: Callable[[], None] | None = None) -> int:
        """Gives the stopped task the Sentry's host_fd, for a host call that names it (a
        file mmap, the stub's exec); returns the task's fd number or -errno.

        The fd lands on the task's donation slot (ST_DONATE_SLOT, close-on-exec) and stays
        there until the next donation replaces it, so mapping one file several times in a
        row (ld.so maps each library's segments from one fd) donates it once: kcmp says
        whether the slot holds this very file description already. The guest cannot name
        the slot: all its fd calls are the Sentry's. `before` runs before a donation (not
        when the slot holds the file already).
        """
        if lib.st_slot_holds(ctx.tid, host_fd, lib.ST_DONATE_SLOT) == 1:
            return lib.ST_DONATE_SLOT
        if before is not None:
            before()
        return self.inject(ctx, bpf.DOORBELL, donate_fd=host_fd)

    def donate_stub(self, ctx: Context) -> int:
        """The stub's memfd in the stopped task, for its exec: on ST_STUB_SLOT, kept across
        exec and fork, so a task tree gets it once. Returns the fd number or -errno."""
        if lib.st_slot_holds(ctx.tid, self.stub_fd, lib.ST_STUB_SLOT) == 1:
            return lib.ST_STUB_SLOT
        return self.inject(ctx, bpf.DOORBELL, donate_fd=self.stub_fd, stub_slot=True)

    def wait_task(self, tid: int) -> int:
        """waitpid(tid, __WALL) that also finds the report an injection met and put aside
        for the loop (a child's first stop while its parent's fork was injected)."""
        status = self._status
        check(lib.st_wait_task(tid, status), f"wait for task {tid}")
        return status[0]

    def getregs(self, ctx: Context):
        regs = ffi.new("struct st_regs *")
        check(lib.st_getregs(ctx.tid, regs), "getregs")
        return regs

    def setregs(self, ctx: Context, regs) -> None:
        check(lib.st_setregs(ctx.tid, regs), "setregs")

    def rewrite_call(self, ctx: Context, nr: int, args: tuple[int, int, int, int, int]) -> None:
        """Makes the trapped call that the host is about to run (rerun_start) another one,
        call `nr` with `args` in rdi, rsi, rdx, r10 and r8 (clone3 as clone). The caller's
        registers are kept in ctx.rewritten for put_back: the syscall ABI keeps all but
        rax, rcx and r11, and glibc's clone3 wrapper finds its function and argument in rdx
        and r8 after the call, in the parent and in the child."""
        regs = self.getregs(ctx)
        ctx.rewritten = (regs.orig_rax, regs.rdi, regs.rsi, regs.rdx, regs.r10, regs.r8)
        regs.orig_rax = nr
        regs.rdi, regs.rsi, regs.rdx, regs.r10, regs.r8 = args
        self.setregs(ctx, regs)
        ctx.rerun_call = (nr, ctx.rerun_call[1])  # the ptrace platform's re-run is this call

    def put_back(self, ctx: Context, saved: tuple[int, ...], rewound: bool = False) -> None:
        """Restores what rewrite_call changed, from `saved` (a ctx.rewritten): after the
        call (its exit stop, or a clone's event), in a clone's child before it first runs,
        or, `rewound`, at a signal stop of a call rewound onto its syscall instruction to
        re-run, which then traps again as itself after the handler (rax is its number)."""
        regs = self.getregs(ctx)
        nr, regs.rdi, regs.rsi, regs.rdx, regs.r10, regs.r8 = saved
        if rewound:
            regs.rax = nr
        else:
            regs.orig_rax = nr
        self.setregs(ctx, regs)

    def describe_launch_failure(self, status: int) -> str | None:
        """Names the launcher step that failed, from the first task's exit status."""
        if os.WIFEXITED(status) and os.WEXITSTATUS(status) > LAUNCH_FAIL:
            step = os.WEXITSTATUS(status) - LAUNCH_FAIL
            return f"sandbox launch failed at step {step}: {LAUNCH_STEPS.get(step, '?')}"
        return None


__all__ = ["Platform", "Context", "AddressSpace", "TaskDied", "bpf"]
