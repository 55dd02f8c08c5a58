"""The bounce page that fetches a fresh ID token (the admin pages themselves are app.dashboard's)."""

from __future__ import annotations

from flask import Blueprint

from app.home.embedded import PATCH_ID_TOKEN_PATH, frame_ancestors, sdk_response
from app.shopify.http import shopify_app
from app.shopify.session import request_input

bp = Blueprint("home", __name__)

__all__ = ["PATCH_ID_TOKEN_PATH", "bp", "frame_ancestors"]


@bp.get(PATCH_ID_TOKEN_PATH)
def patch_id_token():
    """The bounce page: loads App Bridge only, which reloads the app with a fresh id_token."""
    return sdk_response(shopify_app().app_home_patch_id_token(request_input()).response)
