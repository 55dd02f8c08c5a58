"""Imports every model module so SQLAlchemy's metadata knows all tables."""

from app.shopify.webhooks.models import WebhookDelivery
from app.shops.models import Shop, ShopSettings, ShopToken

__all__ = ["Shop", "ShopSettings", "ShopToken", "WebhookDelivery"]
