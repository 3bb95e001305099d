"""Stand-in for the Tryton module currency 6.0."""
