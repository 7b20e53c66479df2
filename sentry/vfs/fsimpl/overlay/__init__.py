"""overlay: a writable upper tmpfs over a read-only lower tree."""

from sentry.vfs.fsimpl.overlay.overlay import OverlayFS, OverlayInode

__all__ = ["OverlayFS", "OverlayInode"]
