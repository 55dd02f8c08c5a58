"""A shop, its offline Admin API token pair and its settings."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.crypto import EncryptedText
from app.dbtypes import UTCDateTime, utcnow
from app.extensions import db

# Refresh this long before expiry so a token never expires mid-request.
TOKEN_REFRESH_MARGIN = timedelta(minutes=5)


class Shop(db.Model):
    __tablename__ = "shops"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    domain: Mapped[str] = mapped_column(String(255), unique=True)
    shopify_id: Mapped[int | None] = mapped_column(db.BigInteger, index=True)
    name: Mapped[str | None] = mapped_column(String(255))
    iana_timezone: Mapped[str | None] = mapped_column(String(64))
    currency: Mapped[str | None] = mapped_column(String(3))
    scopes: Mapped[str] = mapped_column(Text, default="")
    installed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    uninstalled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # `shop/redact` arrived: the erasure job deletes the shop's data in batches, then this row.
    redact_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    token: Mapped[ShopToken | None] = relationship(
        back_populates="shop", uselist=False, cascade="all, delete-orphan"
    )
    settings: Mapped[ShopSettings | None] = relationship(
        back_populates="shop", uselist=False, cascade="all, delete-orphan"
    )

    @property
    def is_active(self) -> bool:
        """Installed and not since uninstalled: the only state in which outreach may happen."""
        return self.installed_at is not None and self.uninstalled_at is None

    @property
    def handle(self) -> str:
        return self.domain.removesuffix(".myshopify.com")

    def __repr__(self) -> str:
        return f"<Shop {self.id} {self.domain}>"


class ShopToken(db.Model):
    """The shop's expiring offline token and its refresh token, both encrypted at rest."""

    __tablename__ = "shop_tokens"

    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True)
    access_token: Mapped[str] = mapped_column(EncryptedText)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refresh_token: Mapped[str | None] = mapped_column(EncryptedText)
    refresh_token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    scope: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    shop: Mapped[Shop] = relationship(back_populates="token")

    def needs_refresh(self, now: datetime) -> bool:
        return self.expires_at is not None and now >= self.expires_at - TOKEN_REFRESH_MARGIN


class ShopSettings(db.Model):
    """Merchant settings as a JSON object validated by `app.shops.settings`; absent keys default."""

    __tablename__ = "shop_settings"

    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True)
    values: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    shop: Mapped[Shop] = relationship(back_populates="settings")
