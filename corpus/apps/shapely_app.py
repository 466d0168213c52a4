"""shapely: the GEOS library bundled in shapely.libs, WKT/WKB round trips."""

import shapely
from shapely.geometry import Point, Polygon

poly = Polygon([(0, 0), (4, 0), (4, 4), (0, 4)])
circle = Point(2, 2).buffer(1.0, quad_segs=16)
print(round(poly.area, 3), round(circle.area, 3), poly.contains(circle))
print(shapely.from_wkt("LINESTRING (0 0, 3 4)").length)
print(shapely.to_wkt(poly.intersection(Polygon([(2, 2), (6, 2), (6, 6)])), rounding_precision=2))
print(shapely.from_wkb(shapely.to_wkb(Point(1, 2))).wkt)
print(shapely.geos_version >= (3, 10, 0))
