"""holidays: country classes looked up by code, names translated from .mo files."""

from datetime import date

import holidays

fr = holidays.country_holidays("FR", years=2024)
print(sorted((d.isoformat(), n) for d, n in fr.items())[:3])
de = holidays.country_holidays("DE", subdiv="BY", years=2024, language="en_US")
print(de.get(date(2024, 10, 3)))
print(holidays.country_holidays("JP", years=2024, language="ja").get(date(2024, 1, 1)))
print(date(2024, 12, 25) in holidays.financial_holidays("NYSE", years=2024))
