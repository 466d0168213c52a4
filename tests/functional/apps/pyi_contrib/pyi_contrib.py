"""jsonschema validates against the 2020-12 meta-schema, which jsonschema_specifications reads
from JSON files in its package folder: bundled by pyinstaller-hooks-contrib's hook."""

import jsonschema

schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object"}
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.validators.validator_for(schema)(schema)
print("valid", validator.is_valid({"a": 1}), validator.is_valid([1]))
