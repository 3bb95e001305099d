"""A pytest plugin for trytond's unittest suites (`-p trytond_pytest`):
the test modules import trytond's abstract ModuleTestCase, whose `module`
is None, and pytest would run it as a test case of its own. Only its
concrete subclasses (PartyTestCase, ...) are kept."""


def pytest_collection_modifyitems(session, config, items):
    items[:] = [
        item for item in items
        if getattr(item, "cls", None) is None
        or not hasattr(item.cls, "module")
        or item.cls.module is not None
    ]
