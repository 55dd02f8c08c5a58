"""The app's extensions: Flask's cookie session is never opened."""

import pytest
from flask import session
from flask.sessions import NullSession


def test_no_request_opens_a_cookie_session_and_writing_one_fails_loudly(app):
    with app.test_request_context("/", headers={"Cookie": "session=forged.value"}):
        assert isinstance(session._get_current_object(), NullSession)
        with pytest.raises(RuntimeError):
            session["shop"] = "alpha.myshopify.com"

