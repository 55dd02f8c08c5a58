"""The embedded admin pages: thin server-rendered shells whose data comes from the /api/ endpoints."""

from __future__ import annotations

from flask import Blueprint

from app.api import ROW_ID
from app.home.embedded import embedded_page

bp = Blueprint("dashboard", __name__, template_folder="templates", static_folder="static",
               static_url_path="/dashboard-static")

# The pages of the app's navigation (`s-app-nav`), in order: endpoint, path, label.
NAVIGATION = (
    ("dashboard.overview", "/", "Overview"),
    ("dashboard.activity", "/activity", "Activity"),
    ("dashboard.settings", "/settings", "Settings"),
    ("dashboard.compliance", "/compliance", "Compliance"),
    ("dashboard.setup", "/setup", "Setup guide"),
)
MAX_TOKEN_CHARS = 255


@bp.get("/")
def overview():
    """Funnel, recovered revenue, channels, lift over the holdout, revenue chart (and setup on first run)."""
    return _page("dashboard/overview.html", "dashboard.overview")


@bp.get("/activity")
def activity():
    """Checkouts with their status and next planned contact, filterable; recent calls and texts."""
    return _page("dashboard/activity.html", "dashboard.activity")


@bp.get("/checkouts/<string(maxlength=255):token>")
def checkout(token: str):
    """One checkout: its planned and made contacts, its calls and its SMS thread."""
    return _page("dashboard/checkout.html", "dashboard.activity", checkout_token=token)


@bp.get(f"/calls/<{ROW_ID}:call_id>")
def call(call_id: int):
    """One call: outcome, objection, the recording and the transcript as a conversation."""
    return _page("dashboard/call.html", "dashboard.activity", call_id=call_id)


@bp.get("/settings")
def settings():
    """Every setting, grouped, generated from the settings schema; saved all-or-nothing."""
    return _page("dashboard/settings.html", "dashboard.settings")


@bp.get("/compliance")
def compliance():
    """Consent ledger, opt-outs, customers' data requests and restrictions."""
    return _page("dashboard/compliance.html", "dashboard.compliance")


@bp.get("/setup")
def setup():
    """What is left to do before Ringback can recover checkouts, each step checked by the app."""
    return _page("dashboard/setup.html", "dashboard.setup")


def _page(template: str, current: str, **context):
    return embedded_page(template, navigation=NAVIGATION, current=current, **context)
