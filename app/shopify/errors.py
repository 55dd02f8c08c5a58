"""The Shopify integration's exceptions; `app.errors` turns them into HTTP answers."""


class ShopifyError(Exception):
    """Base class: something about Shopify went wrong."""

    status = 502
    code = "shopify_error"


class InvalidShopDomain(ShopifyError):
    status = 400
    code = "invalid_shop"


class NotInstalled(ShopifyError):
    """The shop has no usable offline token (never installed, or uninstalled)."""

    status = 403
    code = "not_installed"


class TokenExchangeFailed(ShopifyError):
    status = 401
    code = "token_exchange_failed"


class TokenRefreshFailed(ShopifyError):
    status = 401
    code = "token_refresh_failed"


class AdminApiError(ShopifyError):
    """The Admin API answered with an error that retrying will not fix."""

    code = "admin_api_error"

    def __init__(self, message: str, *, http_status: int | None = None, errors=None):
        super().__init__(message)
        self.http_status = http_status
        self.errors = errors or []


class AdminApiUnavailable(AdminApiError):
    """Throttled or 5xx after every retry: try again later."""

    status = 503
    code = "admin_api_unavailable"


class AdminApiUnauthorized(AdminApiError):
    """The token was rejected even after a refresh."""

    status = 401
    code = "admin_api_unauthorized"
