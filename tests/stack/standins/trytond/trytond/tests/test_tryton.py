import trytond


def test_version():
    assert trytond.__version__.startswith("6.0")
