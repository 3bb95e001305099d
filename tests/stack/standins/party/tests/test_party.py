import os


def test_the_module_is_linked_into_trytond():
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    assert os.path.exists(os.path.join(here, "tryton.cfg"))


def test_party_names_are_stripped():
    assert " Ada ".strip() == "Ada"
