"""Stand-in for the few proteus calls the demo data makes; found before the
installed proteus because PYTHONPATH starts with the trytond checkout."""
