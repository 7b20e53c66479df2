"""Ancillary data (cmsg) in and out of guest memory: SCM_RIGHTS and SCM_CREDENTIALS.

Layout (x86-64): struct cmsghdr { size_t cmsg_len; int cmsg_level; int cmsg_type; } then
the data, each record padded to 8 bytes (CMSG_SPACE). Linux's rules kept: on send a
record shorter than its header or running past msg_controllen is EINVAL, non-SOL_SOCKET
levels are skipped; on receive credentials come first, then files; what does not fit
sets MSG_CTRUNC (and the files that did not fit are closed).
"""

from __future__ import annotations

import struct
from typing import Any

from sentry.abi.errno import EINVAL, EPERM, ESRCH, SysError
from sentry.netstack.socket import (
    MSG_CMSG_CLOEXEC, MSG_CTRUNC, SOL_SOCKET, Control, Ucred,
)
from sentry.kernel.creds import CAP_SETGID, CAP_SETUID, CAP_SYS_ADMIN, capable
from sentry.kernel.process import task_by_vtid

SCM_RIGHTS, SCM_CREDENTIALS = 1, 2
SCM_MAX_FD = 253
_HDR = struct.Struct("<Qii")


def align(n: int) -> int:
    return (n + 7) & ~7


def parse(t: Any, raw: bytes, unix: bool) -> Control | None:
    """The Control a sendmsg carries; takes a reference on each file (the caller drops
    them with Control.drop if the send fails)."""
    control = Control()
    pos = 0
    try:
        while pos + _HDR.size <= len(raw):
            clen, level, ctype = _HDR.unpack_from(raw, pos)
            if clen < _HDR.size or pos + clen > len(raw):
                raise EINVAL()
            body = raw[pos + _HDR.size:pos + clen]
            if level == SOL_SOCKET:
                _one(t, control, ctype, body, unix)
            pos += align(clen)
    except SysError:
        control.drop()
        raise
    if not control.rights and control.creds is None:
        return None
    return control


def _one(t: Any, control: Control, ctype: int, body: bytes, unix: bool) -> None:
    if ctype == SCM_RIGHTS and unix:
        n = len(body) // 4
        if n + len(control.rights) > SCM_MAX_FD:
            raise EINVAL()
        for (fd,) in struct.iter_unpack("<i", body[:4 * n]):
            f = t.fds.get(fd)  # EBADF
            f.incref()
            control.rights.append(f)
        return
    if ctype == SCM_CREDENTIALS and unix:
        if len(body) != 12:
            raise EINVAL()
        pid, uid, gid = struct.unpack("<iII", body)
        _check_creds(t, pid, uid, gid)
        control.creds = Ucred(pid, uid, gid)
        return
    raise EINVAL()


def _check_creds(t: Any, pid: int, uid: int, gid: int) -> None:
    """Linux's scm_check_creds, then the pid lookup: EINVAL for uid/gid -1, EPERM for
    another's pid without CAP_SYS_ADMIN, or others' ids without CAP_SETUID/CAP_SETGID),
    ESRCH for a pid that names no thread in the sandbox."""
    if uid == 0xFFFFFFFF or gid == 0xFFFFFFFF:
        raise EINVAL()
    c = t.creds
    if (pid != t.tg.vpid and not capable(c, CAP_SYS_ADMIN)
            or uid not in (c.uid, c.euid, c.suid) and not capable(c, CAP_SETUID)
            or gid not in (c.gid, c.egid, c.sgid) and not capable(c, CAP_SETGID)):
        raise EPERM()
    if pid != t.tg.vpid and t.kernel.thread_groups.get(pid) is None \
            and task_by_vtid(t.kernel, pid) is None:
        raise ESRCH()


def build(t: Any, control: Control | None, space: int, flags: int, passcred: bool,
          peek: bool) -> tuple[bytes, int]:
    """The control bytes for a recvmsg with `space` bytes of room, and MSG_CTRUNC if cut.

    Files are installed in the receiver's table (close-on-exec with MSG_CMSG_CLOEXEC).
    """
    out = bytearray()
    msg_flags = 0
    if passcred:
        cred = control.creds if control is not None and control.creds is not None \
            else Ucred(0, 65534, 65534)
        msg_flags |= _put(out, space, SCM_CREDENTIALS, cred.pack())
    rights = control.rights if control is not None else []
    if rights:
        room = space - len(out) - _HDR.size
        fit = max(0, room // 4) if room >= 0 else 0
        fds: list[int] = []
        for f in rights[:fit]:
            try:
                fds.append(t.fds.install(f, bool(flags & MSG_CMSG_CLOEXEC)))
            except SysError:
                msg_flags |= MSG_CTRUNC  # EMFILE: Linux stops and truncates
                break
        if len(fds) < len(rights):
            msg_flags |= MSG_CTRUNC
        if fds:
            msg_flags |= _put(out, space, SCM_RIGHTS, struct.pack(f"<{len(fds)}i", *fds))
    if control is not None and not peek:
        control.drop()
    return bytes(out), msg_flags


def _put(out: bytearray, space: int, ctype: int, data: bytes) -> int:
    """Appends one record if its header fits (the data cut to the room); MSG_CTRUNC if cut."""
    room = space - len(out)
    if room < _HDR.size:
        return MSG_CTRUNC
    clen = _HDR.size + len(data)
    rec = _HDR.pack(clen, SOL_SOCKET, ctype) + data
    if clen > room:
        out += rec[:room]
        return MSG_CTRUNC
    out += rec + bytes(min(align(clen), room) - clen)
    return 0


__all__ = ["SCM_CREDENTIALS", "SCM_RIGHTS", "build", "parse"]
