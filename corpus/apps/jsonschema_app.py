"""jsonschema: metaschemas from jsonschema_specifications data files, format checkers."""

import jsonschema
from jsonschema import Draft202012Validator, validators

schema = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer", "minimum": 0}},
    "required": ["name"],
}
Draft202012Validator.check_schema(schema)
validator = validators.validator_for(schema)(schema)
print(type(validator).__name__)
print(validator.is_valid({"name": "x", "age": 3}))
for error in sorted(validator.iter_errors({"age": -1}), key=str):
    print(error.message)
try:
    jsonschema.validate(4, {"$schema": "http://json-schema.org/draft-04/schema#", "type": "string"})
except jsonschema.ValidationError as exc:
    print("draft4:", exc.message)
print(len(validator.META_SCHEMA["$defs"]) if "$defs" in validator.META_SCHEMA else 0)
