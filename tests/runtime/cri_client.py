"""A minimal CRI (runtime.v1) client for the tests: what kubelet calls, over gRPC.

The messages are encoded by hand (protobuf wire format: varints and length-delimited
fields), with only the fields the tests set; field numbers are those of k8s.io/cri-api's
api.proto. No generated code, no .proto file in the tree.
"""

from __future__ import annotations

from typing import Any

import grpc

NODE = 2  # NamespaceMode: the host's network namespace (no CNI plugin needed)


def _varint(n: int) -> bytes:
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def v(num: int, n: int) -> bytes:
    return _varint(num << 3) + _varint(n)


def b(num: int, data: bytes | str) -> bytes:
    raw = data.encode() if isinstance(data, str) else data
    return _varint(num << 3 | 2) + _varint(len(raw)) + raw


def m(*parts: bytes) -> bytes:
    return b"".join(parts)


def decode(data: bytes) -> dict[int, list[Any]]:
    """Fields by number: varints as ints, length-delimited as bytes."""
    out: dict[int, list[Any]] = {}
    i = 0

    def varint() -> int:
        nonlocal i
        shift = n = 0
        while True:
            c = data[i]
            i += 1
            n |= (c & 0x7F) << shift
            shift += 7
            if not c & 0x80:
                return n

    while i < len(data):
        key = varint()
        num, wire = key >> 3, key & 7
        if wire == 0:
            val: Any = varint()
        elif wire == 2:
            n = varint()
            val = data[i:i + n]
            i += n
        elif wire == 1:
            val, i = data[i:i + 8], i + 8
        elif wire == 5:
            val, i = data[i:i + 4], i + 4
        else:
            raise ValueError(f"wire type {wire}")
        out.setdefault(num, []).append(val)
    return out


def first(fields: dict[int, list[Any]], num: int, default: Any = None) -> Any:
    return fields.get(num, [default])[0]


class CRI:
    def __init__(self, socket_path: str) -> None:
        self.channel = grpc.insecure_channel(f"unix://{socket_path}")

    def call(self, method: str, request: bytes, timeout: float = 120) -> dict[int, list[Any]]:
        rpc = self.channel.unary_unary(f"/runtime.v1.RuntimeService/{method}",
                                       request_serializer=lambda x: x,
                                       response_deserializer=lambda x: x)
        return decode(rpc(request, timeout=timeout))

    def close(self) -> None:
        self.channel.close()

    @staticmethod
    def sandbox_config(name: str, log_dir: str) -> bytes:
        metadata = m(b(1, name), b(2, f"uid-{name}"), b(3, "default"), v(4, 0))
        ns = m(v(1, NODE))  # NamespaceOption.network
        linux = m(b(2, m(b(1, ns))))  # security_context.namespace_options
        return m(b(1, metadata), b(2, name), b(3, log_dir), b(8, linux))

    def run_pod_sandbox(self, config: bytes, handler: str) -> str:
        r = self.call("RunPodSandbox", m(b(1, config), b(2, handler)))
        return first(r, 1).decode()

    def create_container(self, pod: str, sandbox_config: bytes, name: str, image: str,
                         command: list[str]) -> str:
        cfg = m(b(1, m(b(1, name))), b(2, m(b(1, image))),
                *[b(3, c) for c in command], b(11, f"{name}.log"))
        r = self.call("CreateContainer", m(b(1, pod), b(2, cfg), b(3, sandbox_config)))
        return first(r, 1).decode()

    def start_container(self, cid: str) -> None:
        self.call("StartContainer", m(b(1, cid)))

    def exec_sync(self, cid: str, cmd: list[str], timeout: int = 60) -> tuple[bytes, bytes, int]:
        r = self.call("ExecSync", m(b(1, cid), *[b(2, c) for c in cmd], v(3, timeout)))
        code = first(r, 3, 0)
        return first(r, 1, b""), first(r, 2, b""), code - (1 << 32) if code >= 1 << 31 else code

    def container_state(self, cid: str) -> tuple[int, int]:
        """(state, exit code): state 0 created, 1 running, 2 exited, 3 unknown."""
        st = decode(first(self.call("ContainerStatus", m(b(1, cid))), 1, b""))
        return first(st, 3, 0), first(st, 7, 0)

    def stop_container(self, cid: str, timeout: int = 2) -> None:
        self.call("StopContainer", m(b(1, cid), v(2, timeout)))

    def remove_container(self, cid: str) -> None:
        self.call("RemoveContainer", m(b(1, cid)))

    def stop_pod_sandbox(self, pod: str) -> None:
        self.call("StopPodSandbox", m(b(1, pod)))

    def remove_pod_sandbox(self, pod: str) -> None:
        self.call("RemovePodSandbox", m(b(1, pod)))
