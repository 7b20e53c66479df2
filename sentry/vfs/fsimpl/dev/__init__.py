"""devfs: /dev as a tmpfs tree of device nodes, with the Sentry's own device drivers."""

from sentry.vfs.fsimpl.dev.devices import register_devices
from sentry.vfs.fsimpl.dev.devfs import build_devfs

__all__ = ["build_devfs", "register_devices"]
