"""`@dataclass` and `field` for the Sentry's record classes, without the dataclasses module.

    from sentry.record import dataclass, field

dataclasses imports inspect (and with it ast, dis, tokenize): about 8 ms of CPU in every
sandbox process's start-up, on the critical path of each container's `create`. The
Sentry uses a small part of it, which this module gives with the same meaning:
`@dataclass`, `@dataclass(frozen=True)`, `@dataclass(eq=False)`, `field(default=...)`,
`field(default_factory=...)`, `field(repr=False)`, `__post_init__`, `__dataclass_fields__`.
Fields come from the class's own annotations (a base class's fields first, as
dataclasses does); `ClassVar` annotations are not fields. tests/unit/test_record.py
checks it against dataclasses.
"""

from __future__ import annotations

from typing import Any

_MISSING = object()


class FrozenInstanceError(AttributeError):
    """An assignment to a field of a frozen record."""


class Field:
    __slots__ = ("name", "default", "default_factory", "repr")

    def __init__(self, default: Any = _MISSING, default_factory: Any = _MISSING,
                 repr: bool = True) -> None:  # noqa: A002 - dataclasses' keyword
        if default is not _MISSING and default_factory is not _MISSING:
            raise ValueError("cannot specify both default and default_factory")
        self.name = ""
        self.default = default
        self.default_factory = default_factory
        self.repr = repr


def field(*, default: Any = _MISSING, default_factory: Any = _MISSING,
          repr: bool = True) -> Any:  # noqa: A002 - dataclasses' keyword
    return Field(default, default_factory, repr)


def _fields(cls: type) -> dict[str, Field]:
    out: dict[str, Field] = {}
    for base in reversed(cls.__mro__[1:]):
        out.update(getattr(base, "__dataclass_fields__", {}))
    for name, ann in cls.__dict__.get("__annotations__", {}).items():
        if isinstance(ann, str) and ann.replace("typing.", "").startswith("ClassVar"):
            continue
        value = cls.__dict__.get(name, _MISSING)
        f = value if isinstance(value, Field) else Field(default=value)
        f.name = name
        if f.default is _MISSING and name in cls.__dict__:
            delattr(cls, name)  # a default_factory field: no class attribute
        elif isinstance(value, Field):
            setattr(cls, name, f.default)
        out[name] = f
    return out


def _init(cls: type, fields: dict[str, Field], frozen: bool) -> None:
    params, body = [], []
    env: dict[str, Any] = {"_obj_setattr": object.__setattr__}
    seen_default = False
    for f in fields.values():
        if f.default_factory is not _MISSING:
            env[f"_f_{f.name}"] = f.default_factory
            params.append(f"{f.name}=_MISSING")
            value = f"_f_{f.name}() if {f.name} is _MISSING else {f.name}"
            env["_MISSING"] = _MISSING
            seen_default = True
        elif f.default is not _MISSING:
            env[f"_d_{f.name}"] = f.default
            params.append(f"{f.name}=_d_{f.name}")
            value = f.name
            seen_default = True
        else:
            if seen_default:
                raise TypeError(f"non-default argument {f.name!r} follows default argument")
            params.append(f.name)
            value = f.name
        body.append(f"_obj_setattr(self, {f.name!r}, {value})" if frozen
                    else f"self.{f.name} = {value}")
    if hasattr(cls, "__post_init__"):
        body.append("self.__post_init__()")
    src = f"def __init__(self, {', '.join(params)}):\n    " + "\n    ".join(body or ["pass"])
    exec(src, env)  # noqa: S102 - generated from the class's own field names
    init = env["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    cls.__init__ = init


def _process(cls: type, frozen: bool, eq: bool) -> type:
    fields = _fields(cls)
    cls.__dataclass_fields__ = fields
    _init(cls, fields, frozen)
    names = tuple(fields)
    shown = tuple(f.name for f in fields.values() if f.repr)

    def __repr__(self: Any) -> str:
        inner = ", ".join(f"{n}={getattr(self, n)!r}" for n in shown)
        return f"{type(self).__qualname__}({inner})"

    if "__repr__" not in cls.__dict__:
        cls.__repr__ = __repr__
    if eq:
        def __eq__(self: Any, other: Any) -> Any:
            if other.__class__ is not self.__class__:
                return NotImplemented
            return all(getattr(self, n) == getattr(other, n) for n in names)

        if "__eq__" not in cls.__dict__:
            cls.__eq__ = __eq__
        if frozen:
            cls.__hash__ = lambda self: hash(tuple(getattr(self, n) for n in names))
        elif "__hash__" not in cls.__dict__:
            cls.__hash__ = None  # as dataclasses: mutable and compared by value
    if frozen:
        def __setattr__(self: Any, name: str, value: Any) -> None:
            raise FrozenInstanceError(f"cannot assign to field {name!r}")

        def __delattr__(self: Any, name: str) -> None:
            raise FrozenInstanceError(f"cannot delete field {name!r}")

        cls.__setattr__ = __setattr__
        cls.__delattr__ = __delattr__
    return cls


def dataclass(cls: type | None = None, *, frozen: bool = False, eq: bool = True) -> Any:
    """As dataclasses.dataclass with these two options."""
    if cls is None:
        return lambda c: _process(c, frozen, eq)
    return _process(cls, frozen, eq)
