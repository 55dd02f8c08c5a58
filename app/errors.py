"""One place that turns exceptions into HTTP answers: JSON for machines, never a stack trace."""

from __future__ import annotations

import logging

from authlib.integrations.base_client import OAuthError
from flask import jsonify, request
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from app.extensions import db
from app.shopify.errors import ShopifyError

log = logging.getLogger(__name__)


def _json(status: int, error: str, message: str):
    response = jsonify({"error": error, "message": message})
    response.status_code = status
    return response


def error_body(exc: HTTPException) -> dict[str, str]:
    """{"error": "method_not_allowed", "message": …}: how every HTTP error is answered."""
    return {"error": (exc.name or "error").lower().replace(" ", "_"), "message": exc.description or ""}


def register_error_handlers(app) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        response = jsonify(error_body(exc))
        response.status_code = exc.code or 500
        return response

    @app.errorhandler(ShopifyError)
    def shopify_error(exc: ShopifyError):
        log.warning("Shopify error on %s: %s", request.path, exc.code)
        return _json(exc.status, exc.code, "Shopify request failed")

    @app.errorhandler(OAuthError)
    def oauth_error(exc: OAuthError):
        log.warning("OAuth token request refused: %s", exc.error)
        return _json(401, "oauth_refused", "Shopify refused the authorization code")

    @app.errorhandler(SQLAlchemyError)
    def database_error(exc: SQLAlchemyError):
        db.session.rollback()
        log.error("database error on %s: %s", request.path, type(exc).__name__)
        response = _json(503, "unavailable", "temporarily unavailable")
        response.headers["Retry-After"] = "5"
        return response
