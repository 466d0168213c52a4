"""importlib.metadata: entry_points() parses with email and csv; both are imported lazily."""

hiddenimports = ["email.parser", "email.message", "csv"]
