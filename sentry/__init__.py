"""The Sentry: a user-space kernel that implements the system calls of a sandboxed workload."""

__version__ = "0.1.0"
