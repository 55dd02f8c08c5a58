"""Flask extensions, created unbound; `create_app` binds them."""

from flask.sessions import SessionInterface
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names so every migration can drop/alter what an earlier one created.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()


class NoCookieSession(SessionInterface):
    """Flask's `session`, never opened: Ringback keeps no cookie session (the admin authenticates each
    request by Shopify's ID token, the legacy install flow signs a cookie of its own), so no request
    parses cookies or builds a signer for one. Writing to `session` raises."""

    def open_session(self, app, request):
        return self.make_null_session(app)

    def save_session(self, app, session, response) -> None:
        return None
