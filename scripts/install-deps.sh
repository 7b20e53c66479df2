#!/usr/bin/env bash
# Installs the Debian packages runsc-py needs. Idempotent: when every package is already
# installed it only asks dpkg and exits (no apt-get update), so `make setup` stays fast.
set -euo pipefail

PACKAGES=(
    gcc make libc6-dev linux-libc-dev  # native/ (cffi extension, stub), C probes, syscall headers
    libseccomp2                        # the BPF filters are built with libseccomp.so.2 (ctypes)
    python3-venv python3-dev           # `make setup` creates .venv; headers for the extension
    busybox-static                     # static workloads for tests
    proot                              # the C ptrace peer the benchmarks compare against
    strace                             # cross-checks of --strace and of probe behaviour
    sqlite3 tar                        # whole-workload benchmarks (bench/test_workloads.py)
    netcat-openbsd                     # UDP both ways with nc (busybox's nc has no -u)
    iproute2                           # `ip addr` in the sandbox (netlink acceptance test)
    containerd runc                    # the OCI end-to-end tests (containerd + its runc v2 shim)
    podman                             # the podman end-to-end test (pulls in conmon)
)

missing=()
for p in "${PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    [[ $status == installed ]] || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
    exit 0
fi

sudo=()
if (($(id -u) != 0)); then
    sudo=(sudo)
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
