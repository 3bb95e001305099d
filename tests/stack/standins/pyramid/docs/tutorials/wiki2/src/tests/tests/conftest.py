import os

import alembic.command
import alembic.config
import pytest
import webtest
from pyramid.paster import get_appsettings

from tutorial import main, models


def pytest_addoption(parser):
    parser.addoption("--ini", action="store", metavar="INI_FILE")


@pytest.fixture(scope="session")
def ini_file(request):
    return os.path.abspath(request.config.option.ini or "testing.ini")


@pytest.fixture(scope="session")
def dbengine(ini_file):
    engine = models.get_engine(get_appsettings(ini_file))
    config = alembic.config.Config(ini_file)
    models.Base.metadata.drop_all(bind=engine)
    alembic.command.stamp(config, None, purge=True)
    alembic.command.upgrade(config, "head")
    yield engine
    models.Base.metadata.drop_all(bind=engine)
    alembic.command.stamp(config, None, purge=True)


@pytest.fixture
def testapp(ini_file, dbengine):
    return webtest.TestApp(main({}, dbengine=dbengine, **get_appsettings(ini_file)))
