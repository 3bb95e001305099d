"""Stand-in for the Tryton module country 6.0."""
