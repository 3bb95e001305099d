from sqlalchemy import Column, ForeignKey, Integer, MetaData, Table, Text

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Base:
    metadata = metadata


users = Table("users", metadata,
              Column("id", Integer, primary_key=True),
              Column("name", Text, nullable=False, unique=True),
              Column("role", Text, nullable=False),
              Column("password_hash", Text))
pages = Table("pages", metadata,
              Column("id", Integer, primary_key=True),
              Column("name", Text, nullable=False, unique=True),
              Column("data", Text, nullable=False),
              Column("creator_id", ForeignKey("users.id"), nullable=False))
