"""Stand-in for the wiki tutorial's app: the front page from the database."""
from pyramid.config import Configurator
from pyramid.response import Response
from sqlalchemy import select

from . import models


def main(global_config, dbengine=None, **settings):
    engine = dbengine or models.get_engine(settings)

    def front_page(request):
        with engine.connect() as connection:
            row = connection.execute(
                select(models.pages.c.data).where(models.pages.c.name == "FrontPage")).first()
        return Response(f"<h1>FrontPage</h1><p>{row[0] if row else 'no front page yet'}</p>")

    with Configurator(settings=settings) as config:
        config.add_route("view_wiki", "/")
        config.add_view(front_page, route_name="view_wiki")
        return config.make_wsgi_app()
