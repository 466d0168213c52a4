"""SQLAlchemy: an in-memory SQLite engine (the dialect is loaded by name), ORM round trip."""

from sqlalchemy import String, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column


class Base(DeclarativeBase):
    pass


class Fruit(Base):
    __tablename__ = "fruit"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(30))


engine = create_engine("sqlite://")
Base.metadata.create_all(engine)
with Session(engine) as session:
    session.add_all([Fruit(name="pear"), Fruit(name="apple")])
    session.commit()
    print([f.name for f in session.scalars(select(Fruit).order_by(Fruit.name))])
print(engine.dialect.name, engine.dialect.driver)
