"""attrs: generated methods and validators."""

import attrs


@attrs.define(order=True)
class Point:
    x: int = attrs.field(validator=attrs.validators.instance_of(int))
    y: int = 0


print(Point(1, 2), sorted([Point(2), Point(1, 5)]))
print(attrs.asdict(Point(3, 4)), attrs.evolve(Point(1), y=9))
try:
    Point("x")
except TypeError as exc:
    print("TypeError", exc.args[0].split(" (")[0])
