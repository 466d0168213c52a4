"""pyproj: the PROJ database (proj.db) found in its data folder, libproj in pyproj.libs."""

from pyproj import CRS, Transformer

t = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)
x, y = t.transform(2.3522, 48.8566)
print(round(x, 2), round(y, 2))
print(CRS.from_epsg(2154).name)
print(CRS("EPSG:4326").axis_info[0].name)
