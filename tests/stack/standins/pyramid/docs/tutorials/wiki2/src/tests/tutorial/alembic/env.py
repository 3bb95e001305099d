"""Pyramid bootstrapping environment for alembic (as the tutorial's)."""
from alembic import context
from pyramid.paster import get_appsettings, setup_logging
from sqlalchemy import engine_from_config

from tutorial.models.meta import Base

config = context.config
setup_logging(config.config_file_name)
settings = get_appsettings(config.config_file_name)
engine = engine_from_config(settings, "sqlalchemy.")
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata)
    with context.begin_transaction():
        context.run_migrations()
