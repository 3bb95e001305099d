"""Stand-in for the country module's import script: the same functions,
writing a few ISO 3166 countries into country_country."""
from proteus import config

from trytond import backend

COUNTRIES = {"AT": "Austria", "DE": "Germany", "FR": "France", "GB": "United Kingdom"}


def get_countries():
    with backend.connect(config.database()) as connection, connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS country_country (code text PRIMARY KEY, name text)")
        cursor.execute("SELECT code, name FROM country_country")
        return dict(cursor.fetchall())


def update_countries(countries):
    with backend.connect(config.database()) as connection, connection.cursor() as cursor:
        for code, name in COUNTRIES.items():
            cursor.execute("INSERT INTO country_country VALUES (%s, %s) ON CONFLICT DO NOTHING", (code, name))
    return {**countries, **COUNTRIES}
