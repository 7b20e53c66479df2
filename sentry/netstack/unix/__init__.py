"""AF_UNIX sockets (stream, datagram, seqpacket) entirely in the Sentry."""

from __future__ import annotations

from typing import Any


def _create(t: Any, stype: int, protocol: int, nonblock: bool) -> Any:
    from sentry.abi.errno import EPROTONOSUPPORT, ESOCKTNOSUPPORT
    from sentry.netstack.socket import (
        AF_UNIX, SOCK_DGRAM, SOCK_RAW, SOCK_SEQPACKET, SOCK_STREAM, Ucred,
    )
    from sentry.netstack.unix.socket import UnixSocket

    if protocol not in (0, AF_UNIX):
        raise EPROTONOSUPPORT()
    if stype == SOCK_RAW:
        stype = SOCK_DGRAM  # Linux's unix_create turns SOCK_RAW into SOCK_DGRAM
    if stype not in (SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET):
        raise ESOCKTNOSUPPORT()
    s = UnixSocket(stype, protocol, nonblock)
    s.owner = Ucred(t.tg.vpid, t.creds.uid, t.creds.gid)
    return s


def register() -> None:
    from sentry.netstack import register as add
    from sentry.netstack.socket import AF_UNIX

    add(AF_UNIX, _create)
