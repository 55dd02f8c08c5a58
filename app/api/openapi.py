"""The OpenAPI document, assembled from what each route declares with `@operation`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import jsonify

from app.api import bp

OPENAPI_VERSION = "3.1.0"
_OPERATIONS: dict[tuple[str, str], dict[str, Any]] = {}

ERROR = {
    "type": "object",
    "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
    "required": ["error"],
}
_UNAUTHORIZED = {
    "description": "Missing or invalid session token; App Bridge retries with a fresh one.",
    "headers": {"X-Shopify-Retry-Invalid-Session-Request": {"schema": {"type": "string"}}},
    "content": {"application/json": {"schema": ERROR}},
}


def operation(path: str, method: str, *, summary: str, response: dict[str, Any],
              request: dict[str, Any] | None = None, parameters: list[dict] | None = None,
              errors: dict[str, str] | None = None, media_type: str = "application/json",
              headers: dict[str, Any] | None = None, status: str = "200") -> Callable:
    """Record a route's contract for the OpenAPI document (path in OpenAPI form, under /api)."""

    def register(view: Callable) -> Callable:
        ok: dict[str, Any] = {"description": "Created" if status == "201" else "OK",
                              "content": {media_type: {"schema": response}}}
        if headers:
            ok["headers"] = headers
        responses: dict[str, Any] = {status: ok, "401": _UNAUTHORIZED}
        for code, description in (errors or {}).items():
            responses[code] = {"description": description,
                               "content": {"application/json": {"schema": ERROR}}}
        op: dict[str, Any] = {"summary": summary, "operationId": view.__name__,
                              "responses": responses, "security": [{"shopifyIdToken": []}]}
        if request is not None:
            op["requestBody"] = {"required": True,
                                 "content": {"application/json": {"schema": request}}}
        if parameters:
            op["parameters"] = parameters
        _OPERATIONS[("/api" + path, method.lower())] = op
        return view

    return register


def document() -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for (path, method), op in sorted(_OPERATIONS.items()):
        paths.setdefault(path, {})[method] = op
    return {
        "openapi": OPENAPI_VERSION,
        "info": {"title": "Ringback API", "version": "1"},
        "paths": paths,
        "components": {"securitySchemes": {"shopifyIdToken": {
            "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
            "description": "Shopify ID token (App Bridge adds it to every fetch)."}}},
    }


@bp.get("/openapi.json")
def openapi_json():
    return jsonify(document())
