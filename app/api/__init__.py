"""The JSON API under /api/, authenticated by the Shopify ID token and scoped to its shop."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api")
# A row id in a path: larger numbers are no row of ours (404), never a database error.
ROW_ID = "int(max=2147483647)"


def register_routes() -> None:
    """Import every module that adds routes to the blueprint (each feature owns its routes)."""
    from app.api import shop  # noqa: F401
    from app.consent import api as consent_api  # noqa: F401
    from app.dashboard import api as dashboard_api  # noqa: F401
    from app.dashboard import setup_api  # noqa: F401
    from app.privacy import api as privacy_api  # noqa: F401
    from app.recovery import api as recovery_api  # noqa: F401
    from app.shops import api as settings_api  # noqa: F401
    from app.sms import api as sms_api  # noqa: F401
    from app.voice import api as voice_api  # noqa: F401
