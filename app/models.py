"""Imports every model module so SQLAlchemy's metadata knows all tables."""

from app.consent.models import ConsentEvent, Suppression
from app.dashboard.models import CheckoutFunnel, FunnelChange, FunnelDay
from app.keys import KeyFingerprint
from app.privacy.models import DataRequest, Restriction, RotationProgress, TwilioDeletion
from app.recovery.models import Checkout, ContactAttempt, Order, Recovery, RecoveryClick
from app.shopify.webhooks.models import WebhookDelivery
from app.shops.models import Shop, ShopSettings, ShopToken
from app.sms.models import Message
from app.voice.models import Call, CallTurn

__all__ = [
    "Call", "CallTurn", "Checkout", "CheckoutFunnel", "ConsentEvent", "ContactAttempt", "DataRequest",
    "FunnelChange", "FunnelDay", "KeyFingerprint", "Message", "Order", "Recovery", "RecoveryClick",
    "Restriction", "RotationProgress", "Shop", "ShopSettings", "ShopToken", "Suppression",
    "TwilioDeletion", "WebhookDelivery",
]
