"""sqlalchemy: dialects loaded as plugins by name (sqlite), Cython extensions, the ORM."""

from sqlalchemy import Column, Integer, String, create_engine, select, text
from sqlalchemy.orm import DeclarativeBase, Session


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id = Column(Integer, primary_key=True)
    name = Column(String(30))


engine = create_engine("sqlite://")
Base.metadata.create_all(engine)
with Session(engine) as session:
    session.add_all([User(name="ada"), User(name="grace")])
    session.commit()
    print([u.name for u in session.scalars(select(User).order_by(User.name))])
with engine.connect() as conn:
    print(conn.execute(text("select count(*) from users")).scalar())
print(engine.dialect.name, type(engine.dialect).__module__)
from sqlalchemy.dialects import postgresql

print(select(User).where(User.name == "x").compile(dialect=postgresql.dialect()))
