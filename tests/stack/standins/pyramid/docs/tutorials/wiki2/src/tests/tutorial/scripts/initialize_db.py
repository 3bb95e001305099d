"""Stand-in for initialize_tutorial_db: an editor and the front page."""
import sys

from pyramid.paster import get_appsettings

from .. import models


def main(argv=sys.argv):
    engine = models.get_engine(get_appsettings(argv[1]))
    with engine.begin() as connection:
        editor = connection.execute(
            models.users.insert().values(name="editor", role="editor")).inserted_primary_key[0]
        connection.execute(models.pages.insert().values(
            name="FrontPage", data="This is the front page", creator_id=editor))
