import contextlib

_database = None


def set_trytond(database, config_file=None):
    global _database
    _database = database


def database():
    return _database


class _Config:
    @contextlib.contextmanager
    def set_context(self, **_context):
        yield


def get_config():
    return _Config()
