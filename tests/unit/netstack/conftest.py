"""Netstack tests reuse the VFS tests' fake tasks and sandbox root (unix names live there)."""

from __future__ import annotations

from tests.unit.vfs.conftest import host_tree, root, t  # noqa: F401  (fixtures)
