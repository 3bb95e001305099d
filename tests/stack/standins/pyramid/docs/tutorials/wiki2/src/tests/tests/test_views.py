from tutorial import models


def test_front_page_before_any_page(testapp):
    assert "no front page yet" in testapp.get("/").text


def test_front_page_from_the_database(testapp, dbengine):
    with dbengine.begin() as connection:
        editor = connection.execute(
            models.users.insert().values(name="editor", role="editor")).inserted_primary_key[0]
        connection.execute(models.pages.insert().values(
            name="FrontPage", data="Hello from Postgres", creator_id=editor))
    try:
        assert "Hello from Postgres" in testapp.get("/").text
    finally:
        with dbengine.begin() as connection:
            connection.execute(models.pages.delete())
            connection.execute(models.users.delete())
