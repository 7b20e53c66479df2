"""`do`'s limit flags (runsc_py/cli/do.py): sizes as docker's --memory or N% of RAM."""

from __future__ import annotations

import os

import pytest

from runsc_py.cli import UsageError
from runsc_py.cli.do import parse_size

RAM = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.parametrize("text, want", [
    ("0", 0), ("4096", 4096), ("1b", 1), ("1k", 1024), ("64m", 64 << 20), ("64M", 64 << 20),
    ("2g", 2 << 30), ("1t", 1 << 40), ("50%", RAM // 2), ("100%", RAM), (" 8k ", 8192),
])
def test_parse_size(text, want):
    assert parse_size(text) == want


@pytest.mark.parametrize("text", ["", "12x", "1.5g", "-3", "m", "%", "k1", "10%%"])
def test_parse_size_rejects(text):
    with pytest.raises(UsageError, match="bad size"):
        parse_size(text)
