"""procfs: the guest's view of its processes and of the (virtual) machine."""

from sentry.vfs.fsimpl.proc.procfs import ProcFS
from sentry.vfs.fsimpl.proc.protocol import ProcKernel, ProcTask, ProcThreadGroup

__all__ = ["ProcFS", "ProcKernel", "ProcTask", "ProcThreadGroup"]
