"""pint: its unit definitions file (default_en.txt) read as package data."""

import pint

ureg = pint.UnitRegistry()
print((3 * ureg.meter + 40 * ureg.centimeter).to("inch"))
print((10 * ureg.kilowatt_hour).to("megajoule"), ureg.Quantity(25, "degC").to("kelvin"))
print(len(dir(ureg)) > 1000)
