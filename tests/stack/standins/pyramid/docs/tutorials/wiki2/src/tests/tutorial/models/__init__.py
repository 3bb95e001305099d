from sqlalchemy import engine_from_config

from .meta import Base, pages, users  # noqa: F401


def get_engine(settings, prefix="sqlalchemy."):
    return engine_from_config(settings, prefix)
