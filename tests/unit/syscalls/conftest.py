"""Fixtures for the handler tests: a task (tests/unit/vfs/conftest.py's fake Task) in a
sandbox root over a small host tree."""

from __future__ import annotations

from pathlib import Path

import pytest

from sentry.kernel.task import Task
from sentry.vfs.fsimpl.rootfs import SandboxRoot, build_do_root
from tests.unit.vfs.conftest import make_host_tree, make_task


@pytest.fixture
def root(tmp_path: Path) -> SandboxRoot:
    return build_do_root(str(make_host_tree(tmp_path)))


@pytest.fixture
def t(root: SandboxRoot) -> Task:
    return make_task(root)
