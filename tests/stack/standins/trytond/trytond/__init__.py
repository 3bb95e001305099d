"""Stand-in for trytond 6.0 (see tests/stack/standins/README.md)."""
__version__ = "6.0.0"
