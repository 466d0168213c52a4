"""pydantic: the Rust pydantic_core extension and pydantic's lazy module __getattr__."""

from datetime import date

import pydantic
from pydantic import BaseModel, Field, ValidationError


class Person(BaseModel):
    name: str
    born: date
    tags: list[str] = Field(default_factory=list)


p = Person(name="Ada", born="1815-12-10", tags=["math"])
print(p.model_dump_json())
try:
    Person(name=1, born="x")
except ValidationError as exc:
    print(exc.error_count(), [e["type"] for e in exc.errors()])
print(pydantic.TypeAdapter(list[int]).validate_python(["1", 2]))
print(pydantic.EmailStr.__name__ if hasattr(pydantic, "EmailStr") else None)
print(sorted(Person.model_json_schema()["properties"]))
