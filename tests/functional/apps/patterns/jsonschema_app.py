"""jsonschema: validation against a draft 2020-12 schema (metaschemas are JSON files read by
path from jsonschema_specifications/schemas)."""

import jsonschema

schema = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {"n": {"type": "integer", "minimum": 1}},
    "required": ["n"],
}
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)
print(validator.is_valid({"n": 3}), validator.is_valid({"n": 0}))
print(sorted(e.message for e in validator.iter_errors({})))
print(
    jsonschema.validators.validator_for(
        {"$schema": "http://json-schema.org/draft-07/schema#"}
    ).__name__
)
