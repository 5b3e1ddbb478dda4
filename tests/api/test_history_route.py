"""POST /users/{id}/history: a Letterboxd or IMDb export as the body, the match report back."""

from __future__ import annotations

from api_helpers import READ, WRITE, counts

HEADER = "Date,Name,Year,Letterboxd URI,Rating\n"


def test_an_export_is_matched_rated_and_reported(client, demo_service):
    film = demo_service.film(7)
    export = (
        HEADER
        + f'2021-05-01,"{film.title}",{film.year or ""},https://boxd.it/a,4.5\n2021-05-02,Nobody Made This,1901,u,3\n'
    )
    url = "/users/424242/history"
    r = client.post(
        url, content=export.encode(), headers={**WRITE, "Content-Type": "text/csv"}, params={"dry_run": "true"}
    )
    assert r.status_code == 200, r.text
    assert r.json()["matched"] == 1 and r.json()["stored"] is None
    assert demo_service.history(424242)[0] == {}
    r = client.post(url, content=export.encode(), headers={**WRITE, "Content-Type": "text/csv"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body == {
        "user_id": 424242,
        "dry_run": False,
        "source": "letterboxd",
        "matched": 1,
        "ambiguous": [],
        "not_found": ["Nobody Made This (1901)"],
        "stored": 1,
        "unchanged": 0,
    }
    assert demo_service.history(424242)[0] == {7: 4.5}


def test_a_malformed_export_is_a_422_naming_the_line_and_writes_nothing(client, demo_service):
    before = counts(demo_service)
    bad = HEADER + "2021-05-01,Heat,1995,u,4\n2021-05-02,Heat,1995,u,six\n"
    r = client.post("/users/5/history", content=bad.encode(), headers=WRITE, params={"filename": "mine.csv"})
    assert r.status_code == 422
    assert r.json()["error"] == "invalid_format"
    assert r.json()["message"].startswith("mine.csv:3: Rating must be 0.5 to 5")
    assert client.post("/users/5/history", content=bad.encode(), headers=READ).status_code == 403
    assert counts(demo_service) == before


def test_the_film_page_links_to_imdb_and_tmdb(client, demo_service):
    from personalization.core.catalogue import Film

    film = Film(9_000_001, "Linked", 2001, ("Drama",), metadata={"imdb_id": "tt9000001", "tmdb_id": "77"})
    demo_service.import_films([film])
    demo_service.store_external_ids([film])
    r = client.get("/films/9000001", headers=READ)
    assert r.json()["links"] == {
        "IMDb": "https://www.imdb.com/title/tt9000001/",
        "TMDb": "https://www.themoviedb.org/movie/77",
    }
