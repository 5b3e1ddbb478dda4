"""A safe dashboard: a password whenever it is served beyond localhost, writes for admins only,
and the engine settings' history with a rollback on the Tuning page."""

import pytest
from click.testing import CliRunner

from dashboards import auth
from personalization.config import Settings
from personalization.service import Service


def test_the_command_refuses_a_public_address_without_a_password(monkeypatch):
    from personalization.cli import main

    monkeypatch.delenv(auth.PASSWORD_VARIABLE, raising=False)
    monkeypatch.delenv(auth.ADMIN_PASSWORD_VARIABLE, raising=False)
    result = CliRunner().invoke(main, ["dashboard", "--host", "0.0.0.0"])
    assert result.exit_code == 2
    assert "without a password" in result.output and auth.PASSWORD_VARIABLE in result.output


def test_which_addresses_need_a_password_and_who_is_admin():
    assert auth.refusal("localhost", {}) is None and auth.refusal(None, {}) is None
    assert auth.refusal("0.0.0.0", {}) is not None and auth.refusal("10.1.2.3", {auth.PASSWORD_VARIABLE: " "})
    assert auth.refusal("0.0.0.0", {auth.PASSWORD_VARIABLE: "s3cret"}) is None
    both = {auth.PASSWORD_VARIABLE: "look", auth.ADMIN_PASSWORD_VARIABLE: "write"}
    assert auth.role_for("look", both) == "viewer" and auth.role_for("write", both) == "admin"
    assert auth.role_for("wrong", both) is None and auth.role_for("", {}) is None
    assert auth.role_for("look", {auth.PASSWORD_VARIABLE: "look"}) == "admin"  # no admin password: one level


@pytest.fixture
def locked(monkeypatch):
    monkeypatch.setenv(auth.PASSWORD_VARIABLE, "look")
    monkeypatch.setenv(auth.ADMIN_PASSWORD_VARIABLE, "write")


def sign_in(at, password: str):
    at.text_input(key="password").set_value(password)
    at.button(key="sign_in_button").click().run()
    return at


def test_pages_ask_for_the_password_first(demo_app, locked):
    at = demo_app()
    assert [t.value for t in at.title] == ["CineSync preferences"] and not at.dataframe
    sign_in(at, "nope")
    assert [e.value for e in at.error] == ["Wrong password."] and not at.dataframe
    sign_in(at, "look")
    assert not at.error and at.title[0].value == "Overview"


def test_a_viewer_cannot_write(demo_app, demo_db_url, locked, tmp_path):
    at = sign_in(demo_app(), "look")
    at.switch_page("views/users.py").run()
    user = at.selectbox(key="user").value
    film = next(d.value for d in at.dataframe if "reason" in d.value.columns)["film"].iloc[0].rsplit(" (", 1)[0]
    at.text_input(key="try_query").set_value(film).run()
    at.button(key="try_what_if").click().run()
    assert not at.exception and "Nothing was stored" in at.info[-1].value
    assert not [b for b in at.button if b.key == "save_rating"]  # no save for a viewer
    assert any("Only an admin" in c.value for c in at.caption)
    at.switch_page("views/tuning.py").run()
    assert at.button(key="save").disabled
    with Service.open(Settings(home=tmp_path / "x"), url=demo_db_url, listen=False) as svc:
        assert svc.users("", 1)[0]["n_ratings"] == user["n_ratings"]


def test_tuning_saves_versions_shows_the_history_and_rolls_back(demo_app, demo_db_url, tmp_path):
    with Service.open(Settings(home=tmp_path / "x"), url=demo_db_url, listen=False) as svc:
        svc.save_model_settings(source="test", blend_weight=0.3)
    at = demo_app("tuning")
    at.slider(key="save_blend_weight").set_value(0.6)
    at.button(key="save").click().run()
    assert "Saved" in at.success[0].value
    history = next(d.value for d in at.dataframe if "changes" in d.value.columns)
    assert history["version"].tolist() == [2, 1]
    assert history["from"].tolist() == ["dashboard: Tuning page", "test"]
    assert "blend_weight 0.3 -> 0.6" in history["changes"].iloc[0]
    assert at.selectbox(key="history_version").value.version == 1
    diff = next(d.value for d in at.dataframe if "in force" in d.value.columns)
    assert diff.set_index("setting").loc["blend_weight"].tolist() == ["0.6", "0.3"]
    at.button(key="rollback").click().run()
    assert not at.exception and "saved as version 3" in at.success[-1].value
    with Service.open(Settings(home=tmp_path / "x"), url=demo_db_url, listen=False) as svc:
        assert svc.model_settings.blend_weight == pytest.approx(0.3)
        newest = svc.settings_history(1)[0]
        assert newest.version == 3 and newest.source == "dashboard: Tuning page (rollback to version 1)"
    assert at.slider(key="save_blend_weight").value == pytest.approx(0.3)
