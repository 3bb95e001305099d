"""Stand-in for the Tryton module party 6.0."""
