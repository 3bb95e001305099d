"""The database connection, from TRYTOND_DATABASE__URI or the config file's
[database] uri, with the password from PGPASSWORD (libpq)."""
import configparser
import os
from urllib.parse import urlsplit

import psycopg2


def uri():
    value = os.environ.get("TRYTOND_DATABASE__URI")
    if value:
        return value
    parser = configparser.ConfigParser()
    parser.read(os.environ.get("TRYTOND_CONFIG", ""))
    return parser.get("database", "uri", fallback="postgresql://postgres@localhost:5432/")


def connect(database="postgres"):
    parts = urlsplit(uri())
    return psycopg2.connect(host=parts.hostname, port=parts.port or 5432,
                            user=parts.username or "postgres", dbname=database)
