"""toml and tomlkit: pure-Python TOML readers and a style-preserving writer."""

import toml
import tomlkit

SOURCE = '# settings\n[server]\nhost = "localhost"  # the host\nports = [8000, 8001]\n'
print(toml.loads(SOURCE))
doc = tomlkit.parse(SOURCE)
doc["server"]["ports"].append(8002)
print(tomlkit.dumps(doc), end="")
print(toml.dumps({"a": {"b": 1}}), end="")
