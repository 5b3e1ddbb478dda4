"""The API's keys: a wrong one is named by its environment variable (found by a new user)."""

import pytest

from personalization.api.access import ApiSettings
from personalization.config import ConfigError


@pytest.mark.parametrize("variable", ["CINESYNC_API_KEY", "CINESYNC_API_READ_KEY"])
def test_a_short_key_names_its_variable(variable):
    env = {"CINESYNC_API_KEY": "abcdefgh1234", variable: "short"}
    with pytest.raises(ConfigError, match=f"^{variable} must be at least 8 characters"):
        ApiSettings.from_env(env)
