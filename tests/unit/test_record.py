"""sentry.record's @dataclass means what dataclasses' does, for the options the Sentry uses."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import pytest

from sentry import record


def make(mod):  # noqa: ANN001, ANN201 - the two modules are the parameter
    @mod.dataclass
    class Point:
        x: int
        y: int = 2
        tags: list[int] = mod.field(default_factory=list)
        hidden: int = mod.field(default=7, repr=False)
        kind: ClassVar[str] = "point"

        def __post_init__(self) -> None:
            self.tags.append(self.x)

    @mod.dataclass(frozen=True)
    class Key:
        a: int
        b: str = "b"

    @mod.dataclass(eq=False)
    class Ident:
        v: int = 0

    @mod.dataclass
    class Point3(Point):
        z: int = 3

    return Point, Key, Ident, Point3


@pytest.mark.parametrize("mod", [dataclasses, record])
def test_same_meaning_as_dataclasses(mod) -> None:  # noqa: ANN001
    Point, Key, Ident, Point3 = make(mod)
    p = Point(1)
    assert (p.x, p.y, p.tags, p.hidden, Point.kind) == (1, 2, [1], 7, "point")
    assert Point(1).tags is not Point(1).tags  # a fresh list each
    assert repr(p).endswith("Point(x=1, y=2, tags=[1])")
    assert Point(1, 5) == Point(1, 5) and Point(1, 5) != Point(1, 6)
    assert Point.__hash__ is None
    assert list(Point.__dataclass_fields__)[:4] == ["x", "y", "tags", "hidden"]
    assert Key(1) == Key(1, "b") and hash(Key(1)) == hash(Key(1, "b")) and {Key(1): 1}[Key(1)]
    with pytest.raises(AttributeError):
        Key(1).a = 2
    i = Ident()
    assert i != Ident() and i == i and {i}
    q = Point3(1, z=9)
    assert (q.x, q.y, q.z, list(Point3.__dataclass_fields__)[-1]) == (1, 2, 9, "z")
    with pytest.raises(TypeError):
        Point()
    assert Point.y == 2 and not hasattr(Point, "tags")
