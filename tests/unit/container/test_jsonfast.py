"""runsc_py/container/jsonfast.py answers as the json package does: the same values, the
same text, the same errors (the runtime commands use it instead of importing json)."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runsc_py.container import jsonfast

SCALARS = (st.none() | st.booleans() | st.integers() | st.text()
           | st.floats(allow_nan=False))
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.text(), inner, max_size=4), max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(VALUES)
def test_round_trip_matches_json(value) -> None:
    text = json.dumps(value)
    assert jsonfast.dumps(value) == text
    assert jsonfast.loads(text) == json.loads(text)
    assert jsonfast.loads(text.encode()) == json.loads(text.encode())


@pytest.mark.parametrize("text", [
    ' \n{"a": [1, 2.5e3, -0.0, true, false, null, "\\u00e9\\n"]}\r\n\t',
    '"just a string"', "12", "[]", '{"nested": {"x": [{"y": {}}]}}',
    "[1E400, -1E400]", '{"k": "\\ud83d\\ude00"}',
])
def test_documents(text) -> None:
    assert repr(jsonfast.loads(text)) == repr(json.loads(text))


def test_constants() -> None:
    got = jsonfast.loads("[NaN, Infinity, -Infinity]")
    assert math.isnan(got[0]) and got[1:] == [math.inf, -math.inf]
    assert jsonfast.dumps([math.nan, math.inf]) == json.dumps([math.nan, math.inf])


@pytest.mark.parametrize("data", [
    "", "   ", "{", '{"a": 1,}', '{"a": 1} x', "[1] [2]", "\ufeff{}", '"\x01"', "nul",
    b"\xef\xbb\xbf{}", "{}".encode("utf-16"), '["a"]'.encode("utf-32"), b'"\xed\xa0\x80"',
    b"\xff", "1\x00",
])
def test_same_result_or_error_as_json(data) -> None:
    """Invalid input, BOMs and other encodings: json's own result or exception."""
    try:
        expected = ("ok", json.loads(data))
    except (ValueError, TypeError) as e:
        expected = ("error", type(e), str(e))
    try:
        got = ("ok", jsonfast.loads(data))
    except (ValueError, TypeError) as e:
        got = ("error", type(e), str(e))
    assert got == expected


@pytest.mark.parametrize("value", ["a string", {"a": {1, 2}}, {(1, 2): 3}, object()])
def test_dumps_same_result_or_error_as_json(value) -> None:
    try:
        expected = ("ok", json.dumps(value))
    except (ValueError, TypeError) as e:
        expected = ("error", type(e), str(e))
    try:
        got = ("ok", jsonfast.dumps(value))
    except (ValueError, TypeError) as e:
        got = ("error", type(e), str(e))
    assert got == expected


def test_dumps_circular_like_json() -> None:
    value: list = []
    value.append(value)
    with pytest.raises(ValueError, match="Circular reference"):
        jsonfast.dumps(value)


def test_the_runtime_commands_do_not_import_json() -> None:
    """What the module is for: the shim's calls load neither json nor re nor enum (of
    themselves: what the interpreter's start-up loaded, e.g. by a site .pth, is not ours)."""
    code = ("import sys; before = set(sys.modules); "
            "import runsc_py.__main__, runsc_py.container.lifecycle; "
            "print(sorted({'json', 're', 'enum', 'importlib', 'logging', 'argparse'}"
            " & (set(sys.modules) - before)))")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       check=True)
    assert p.stdout.strip() == "[]"
