"""A local stand-in for Shopify's Admin: token exchange, refresh, OAuth codes and Admin GraphQL.

It speaks real HTTP on 127.0.0.1 so the app's real code paths run against it through
SHOPIFY_ADMIN_URL_TEMPLATE = "<base>/shops/{shop}". Tests also use it to inject faults.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import time
import urllib.parse
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import jwt
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"
ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token"
OFFLINE_TOKEN_TYPE = "urn:shopify:params:oauth:token-type:offline-access-token"
ACCESS_TOKEN_TTL = 3600
REFRESH_TOKEN_TTL = 90 * 24 * 3600
BUCKET_SIZE = 1000.0
RESTORE_RATE = 50.0


def mint_id_token(shop: str, api_key: str, secret: str, *, ttl: int = 60, **overrides) -> str:
    """An App Bridge-style ID token (HS256) for `shop`, as Shopify would issue it."""
    now = int(time.time())
    claims = {
        "iss": f"https://{shop}/admin",
        "dest": f"https://{shop}",
        "aud": api_key,
        "sub": "1",
        "exp": now + ttl,
        "nbf": now - 1,
        "iat": now,
        "jti": secrets.token_hex(8),
        "sid": secrets.token_hex(8),
    }
    claims.update(overrides)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, secret, algorithm="HS256")


@dataclass
class SimShop:
    domain: str
    name: str
    iana_timezone: str = "America/New_York"
    currency: str = "USD"
    id: int = field(default_factory=lambda: secrets.randbelow(10**10) + 10**9)


@dataclass
class _Token:
    shop: str
    expires_at: float | None
    scope: str


class ShopifySimulator:
    """Thread-served WSGI app; `url_template` is what SHOPIFY_ADMIN_URL_TEMPLATE should be."""

    def __init__(self, api_key: str, api_secret: str, *, scope: str = "read_orders,write_discounts",
                 access_token_ttl: int = ACCESS_TOKEN_TTL, host: str = "127.0.0.1", port: int = 0):
        self.api_key = api_key
        self.api_secret = api_secret
        self.scope = scope
        self.access_token_ttl = access_token_ttl
        self.shops: dict[str, SimShop] = {}
        self.access_tokens: dict[str, _Token] = {}
        self.refresh_tokens: dict[str, _Token] = {}
        self.auth_codes: dict[str, str] = {}
        self.requests: list[dict[str, Any]] = []
        self.faults: deque[tuple[int, dict[str, str], Any]] = deque()
        self.refresh_delay = 0.0
        self.discounts: list[dict[str, Any]] = []
        self.discount_rejections: deque[list[dict[str, Any]]] = deque()
        self._lock = threading.Lock()
        self._server = make_server(host, port, self._wsgi, threaded=True)
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://{self._server.host}:{self._server.port}"

    @property
    def url_template(self) -> str:
        return self.base_url + "/shops/{shop}"

    def start(self) -> ShopifySimulator:
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def serve_forever(self) -> None:
        self._server.serve_forever()

    # -- test controls -----------------------------------------------------------------------
    def add_shop(self, domain: str, name: str | None = None, **details) -> SimShop:
        shop = SimShop(domain=domain, name=name or domain.split(".")[0].title(), **details)
        self.shops[domain] = shop
        return shop

    def fail_next(self, status: int, body: Any = None, headers: dict[str, str] | None = None,
                  times: int = 1) -> None:
        """The next `times` GraphQL calls answer `status` with `body` (e.g. 429, 503, THROTTLED)."""
        for _ in range(times):
            self.faults.append((status, headers or {}, body))

    def throttle_next(self, times: int = 1) -> None:
        body = {
            "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
            "extensions": {"cost": {"requestedQueryCost": 10, "actualQueryCost": None,
                                    "throttleStatus": {"maximumAvailable": BUCKET_SIZE,
                                                       "currentlyAvailable": 5,
                                                       "restoreRate": RESTORE_RATE}}},
        }
        self.fail_next(200, body, times=times)

    def expire_access_tokens(self, shop: str) -> None:
        with self._lock:
            for token in self.access_tokens.values():
                if token.shop == shop:
                    token.expires_at = time.time() - 1

    def issue_auth_code(self, shop: str) -> str:
        code = secrets.token_hex(16)
        self.auth_codes[code] = shop
        return code

    def calls(self, kind: str) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["kind"] == kind]

    def reject_discounts_next(self, user_errors: list[dict[str, Any]], times: int = 1) -> None:
        """The next `times` discountCodeBasicCreate calls answer these userErrors and create nothing."""
        for _ in range(times):
            self.discount_rejections.append(list(user_errors))

    def discount_calls(self) -> list[dict[str, Any]]:
        """The DiscountCodeBasicInput of every discountCodeBasicCreate received, in order."""
        return [(r["variables"] or {}).get("basicCodeDiscount") for r in self.calls("graphql")
                if "discountCodeBasicCreate" in r["query"]]

    # -- HTTP --------------------------------------------------------------------------------
    def _wsgi(self, environ, start_response):
        request = Request(environ)
        response = self._route(request)
        return response(environ, start_response)

    def _route(self, request: Request) -> Response:
        parts = request.path.strip("/").split("/")
        if len(parts) < 3 or parts[0] != "shops":
            return _json({"errors": "Not Found"}, 404)
        shop, rest = parts[1], "/".join(parts[2:])
        if shop not in self.shops:
            return _json({"errors": "Not Found"}, 404)
        if rest == "admin/oauth/access_token" and request.method == "POST":
            return self._access_token(shop, request)
        if rest == "admin/oauth/authorize" and request.method == "GET":
            return self._authorize(shop, request)
        if rest.startswith("admin/api/") and rest.endswith("/graphql.json") and request.method == "POST":
            return self._graphql(shop, request)
        return _json({"errors": "Not Found"}, 404)

    def _form(self, request: Request) -> dict[str, str]:
        if request.mimetype == "application/json":
            data = request.get_json(silent=True)
            return {k: str(v) for k, v in data.items()} if isinstance(data, dict) else {}
        return dict(request.form)

    def _access_token(self, shop: str, request: Request) -> Response:
        body = self._form(request)
        grant = body.get("grant_type", "authorization_code")
        self.requests.append({"kind": f"oauth:{grant}", "shop": shop, "body": body})
        if body.get("client_id") != self.api_key or body.get("client_secret") != self.api_secret:
            return _json({"error": "invalid_client"}, 401)
        if grant == TOKEN_EXCHANGE_GRANT:
            return self._token_exchange(shop, body)
        if grant == "refresh_token":
            return self._refresh(shop, body)
        if grant == "authorization_code":
            if self.auth_codes.pop(body.get("code", ""), None) != shop:
                return _json({"error": "invalid_request"}, 400)
            return self._issue(shop, expiring=body.get("expiring") == "1")
        return _json({"error": "unsupported_grant_type"}, 400)

    def _token_exchange(self, shop: str, body: dict[str, str]) -> Response:
        if (body.get("subject_token_type") != ID_TOKEN_TYPE
                or body.get("requested_token_type") != OFFLINE_TOKEN_TYPE):
            return _json({"error": "invalid_request"}, 400)
        try:
            claims = jwt.decode(body.get("subject_token", ""), self.api_secret, algorithms=["HS256"],
                                audience=self.api_key, leeway=10)
        except jwt.PyJWTError:
            return _json({"error": "invalid_subject_token"}, 400)
        if claims.get("dest") != f"https://{shop}":
            return _json({"error": "invalid_subject_token"}, 400)
        return self._issue(shop, expiring=body.get("expiring") == "1")

    def _refresh(self, shop: str, body: dict[str, str]) -> Response:
        if self.refresh_delay:
            time.sleep(self.refresh_delay)  # widens the race window for concurrency tests
        with self._lock:
            # Refresh tokens are single-use: each refresh returns a new pair.
            old = self.refresh_tokens.pop(body.get("refresh_token", ""), None)
        if old is None or old.shop != shop or (old.expires_at and old.expires_at < time.time()):
            return _json({"error": "invalid_grant"}, 400)
        return self._issue(shop, expiring=True)

    def _issue(self, shop: str, *, expiring: bool) -> Response:
        access = "shpat_" + secrets.token_hex(16)
        now = time.time()
        answer: dict[str, Any] = {"access_token": access, "scope": self.scope}
        with self._lock:
            if expiring:
                refresh = "shprt_" + secrets.token_hex(16)
                self.access_tokens[access] = _Token(shop, now + self.access_token_ttl, self.scope)
                self.refresh_tokens[refresh] = _Token(shop, now + REFRESH_TOKEN_TTL, self.scope)
                answer.update(expires_in=self.access_token_ttl, refresh_token=refresh,
                              refresh_token_expires_in=REFRESH_TOKEN_TTL)
            else:
                self.access_tokens[access] = _Token(shop, None, self.scope)
        return _json(answer)

    def _authorize(self, shop: str, request: Request) -> Response:
        """Approve at once, as a merchant clicking Install would, and redirect back signed."""
        self.requests.append({"kind": "oauth:authorize", "shop": shop, "args": dict(request.args)})
        params = {
            "code": self.issue_auth_code(shop),
            "shop": shop,
            "state": request.args.get("state", ""),
            "timestamp": str(int(time.time())),
            "host": "YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUvZGVtbw",
        }
        params["hmac"] = sign_query(params, self.api_secret)
        target = request.args.get("redirect_uri", "") + "?" + urllib.parse.urlencode(params)
        return Response(status=302, headers={"Location": target})

    def _graphql(self, shop: str, request: Request) -> Response:
        token = self.access_tokens.get(request.headers.get("X-Shopify-Access-Token", ""))
        body = request.get_json(silent=True) or {}
        self.requests.append({"kind": "graphql", "shop": shop, "query": body.get("query", ""),
                              "variables": body.get("variables")})
        if token is None or token.shop != shop or (token.expires_at and token.expires_at < time.time()):
            return _json({"errors": "[API] Invalid API key or access token"}, 401)
        if self.faults:
            status, headers, fault_body = self.faults.popleft()
            return _json(fault_body if fault_body is not None else {"errors": "fault"}, status, headers)
        query = str(body.get("query", ""))
        # Before the shop branch: a mutation's text could mention "shop" too.
        if "discountCodeBasicCreate" in query:
            return self._discount_code_basic_create(shop, body.get("variables") or {})
        if "shop" in query and "{" in query:
            s = self.shops[shop]
            data = {"shop": {"id": f"gid://shopify/Shop/{s.id}", "name": s.name,
                             "ianaTimezone": s.iana_timezone, "currencyCode": s.currency,
                             "myshopifyDomain": s.domain}}
            return _json({"data": data, "extensions": _cost()})
        return _json({"errors": [{"message": "unsupported operation in simulator"}]}, 200)

    def _discount_code_basic_create(self, shop: str, variables: dict[str, Any]) -> Response:
        basic = variables.get("basicCodeDiscount")
        basic = basic if isinstance(basic, dict) else {}
        with self._lock:
            if self.discount_rejections:
                return _discount_answer(None, self.discount_rejections.popleft())
            errors = _discount_input_errors(basic)
            code = str(basic.get("code") or "")
            if not errors and any(d["shop"] == shop and d["code"].upper() == code.upper()
                                  for d in self.discounts):
                errors = [{"field": ["basicCodeDiscount", "code"], "code": "TAKEN",
                           "message": "Code must be unique."}]
            if errors:
                return _discount_answer(None, errors)
            gets = basic.get("customerGets") or {}
            products = ((gets.get("items") or {}).get("products") or {}).get("productsToAdd") or []
            subtotal = ((basic.get("minimumRequirement") or {}).get("subtotal") or {})
            self.discounts.append({
                "shop": shop, "code": code, "title": basic.get("title"),
                "percentage": gets["value"]["percentage"],
                "starts_at": _sim_datetime(basic.get("startsAt")),
                "ends_at": _sim_datetime(basic.get("endsAt")),
                "products": list(products),
                "minimum": subtotal.get("greaterThanOrEqualToSubtotal"),
                "usage_limit": basic.get("usageLimit"),
                "applies_once_per_customer": basic.get("appliesOncePerCustomer"),
            })
            node_id = f"gid://shopify/DiscountCodeNode/{len(self.discounts)}"
        return _discount_answer(node_id, [])


def _discount_answer(node_id: str | None, user_errors: list[dict[str, Any]]) -> Response:
    node = {"id": node_id} if node_id else None
    data = {"discountCodeBasicCreate": {"codeDiscountNode": node, "userErrors": user_errors}}
    return _json({"data": data, "extensions": _cost()})


def _discount_input_errors(basic: dict[str, Any]) -> list[dict[str, Any]]:
    """Shopify's checks that matter to the app, as DiscountUserErrors (minimal, not exhaustive)."""
    errors = []

    def invalid(name: str, message: str) -> None:
        errors.append({"field": ["basicCodeDiscount", name], "code": "INVALID", "message": message})

    if not str(basic.get("code") or "").strip():
        errors.append({"field": ["basicCodeDiscount", "code"], "code": "BLANK",
                       "message": "Code can't be blank"})
    value = ((basic.get("customerGets") or {}).get("value") or {}).get("percentage")
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0 < value <= 1:
        invalid("customerGets", "Percentage must be greater than 0 and at most 1.")
    starts, ends = _sim_datetime(basic.get("startsAt")), _sim_datetime(basic.get("endsAt"))
    if starts is None:
        invalid("startsAt", "Starts at is invalid.")
    if basic.get("endsAt") is not None and (ends is None or (starts is not None and ends <= starts)):
        invalid("endsAt", "Ends at needs to be after starts_at.")
    limit = basic.get("usageLimit")
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 1):
        invalid("usageLimit", "Usage limit must be greater than 0.")
    return errors


def _sim_datetime(value: Any) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _cost() -> dict[str, Any]:
    return {"cost": {"requestedQueryCost": 1, "actualQueryCost": 1,
                     "throttleStatus": {"maximumAvailable": BUCKET_SIZE,
                                        "currentlyAvailable": BUCKET_SIZE - 1,
                                        "restoreRate": RESTORE_RATE}}}


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json",
                    headers=headers or {})


def sign_query(params: dict[str, str], secret: str) -> str:
    """Shopify's OAuth query HMAC: hex HMAC-SHA256 over sorted `k=v` joined by `&`."""
    message = "&".join(f"{k}={params[k]}" for k in sorted(params) if k not in ("hmac", "signature"))
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()
