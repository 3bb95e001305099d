"""Stand-in for the currency module's import script: the same functions,
writing a few ISO 4217 currencies into currency_currency."""
from proteus import config

from trytond import backend

CURRENCIES = {"EUR": "Euro", "GBP": "Pound Sterling", "USD": "US Dollar"}


def get_currencies():
    with backend.connect(config.database()) as connection, connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS currency_currency (code text PRIMARY KEY, name text)")
        cursor.execute("SELECT code, name FROM currency_currency")
        return dict(cursor.fetchall())


def update_currencies(currencies):
    with backend.connect(config.database()) as connection, connection.cursor() as cursor:
        for code, name in CURRENCIES.items():
            cursor.execute("INSERT INTO currency_currency VALUES (%s, %s) ON CONFLICT DO NOTHING", (code, name))
    return {**currencies, **CURRENCIES}
