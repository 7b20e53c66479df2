"""json.loads/json.dumps for the runtime commands, without importing the json package.

    obj = loads(data)        # bytes or str; same result, same errors as json.loads
    text = dumps(obj)        # same text as json.dumps(obj)

`import json` costs ~10 ms of start-up (json.decoder and json.encoder import `re`, which
imports enum, functools, collections ...), paid by each of the four runtime calls the shim
makes per container. The work is done by the C accelerator the json package itself uses
(`_json`, driven exactly as json.JSONDecoder/JSONEncoder with default arguments drive it);
anything unusual (no `_json`, a BOM or UTF-16/32 input, invalid JSON, a value it cannot
encode) goes to the json package, so results and error messages are json's own.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

try:
    from _json import encode_basestring_ascii, make_encoder, make_scanner
except ImportError:  # an interpreter without the accelerator: the json package does it all
    make_scanner = make_encoder = encode_basestring_ascii = None

_WS = " \t\n\r"  # JSON's whitespace (json.decoder.WHITESPACE)


class _DecoderContext:
    """The attributes make_scanner reads from a json.JSONDecoder, at their defaults."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = {"-Infinity": float("-inf"), "Infinity": float("inf"),
                      "NaN": float("nan")}.__getitem__


_scan = make_scanner(_DecoderContext) if make_scanner is not None else None


def loads(data: bytes | str) -> Any:
    if _scan is not None:
        try:
            text = data.decode("utf-8") if isinstance(data, bytes) else data
            if not text.startswith("\ufeff") and (body := text.strip(_WS)):
                obj, end = _scan(body, 0)
                if end == len(body):
                    return obj
        except (StopIteration, ValueError):
            pass  # invalid (or not UTF-8): json says what exactly
    import json

    return json.loads(data)


def _not_serializable(o: object) -> Any:
    raise TypeError(f"Object of type {o.__class__.__name__} is not JSON serializable")


def dumps(obj: Any) -> str:
    if make_encoder is not None and not isinstance(obj, str):
        try:
            encode = make_encoder({}, _not_serializable, encode_basestring_ascii, None,
                                  ": ", ", ", False, False, True)
            return "".join(encode(obj, 0))
        except (TypeError, ValueError, RecursionError):
            pass
    import json

    return json.dumps(obj)
