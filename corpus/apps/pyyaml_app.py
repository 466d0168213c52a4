"""pyyaml: the libyaml C extension (yaml._yaml) and custom tags."""

import yaml

doc = yaml.load("a: 1\nb: [x, y]\nc: {d: 2024-03-14}\n", Loader=yaml.CSafeLoader)
print(doc)
print(yaml.dump(doc, Dumper=yaml.CSafeDumper, default_flow_style=True).strip())
print(yaml.__with_libyaml__, yaml.CLoader.__module__)
