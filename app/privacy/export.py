"""`customers/data_request`: everything held about one customer in one shop, as structured JSON the
store owner can hand over (access and portability), kept encrypted until it expires."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import inspect, select

from app.dbtypes import utcnow
from app.extensions import db
from app.privacy.models import DataRequest
from app.privacy.registry import HOLDINGS, Holding
from app.privacy.subject import Subject

FORMAT = "ringback.data-request/1"
# An export is kept this long for the merchant to download, then deleted by retention.
EXPORT_DAYS = 30


def compile_export(subject: Subject, *, shop_domain: str, request_id: str | None) -> dict[str, Any]:
    """Every registered table's rows for the subject, every column, values decrypted."""
    records: dict[str, list[dict[str, Any]]] = {}
    for holding in HOLDINGS:
        if holding.model is DataRequest:
            continue  # earlier exports are copies of these same records
        rows = _rows(holding, subject)
        if rows:
            records[holding.table] = rows
    return {
        "format": FORMAT,
        "shop": shop_domain,
        "data_request_id": request_id,
        "generated_at": _json_value(utcnow()),
        "customer": {"id": subject.customer_id, "emails": sorted(subject.emails),
                     "phones": sorted(subject.phones)},
        "records": records,
    }


def store(shop_id: int, subject: Subject, request_id: str | None, export: dict[str, Any],
          *, expires_in_days: int = EXPORT_DAYS) -> DataRequest:
    """Keep the export for the merchant (once per Shopify request id); flushes, never commits."""
    existing = None
    if request_id is not None:
        existing = db.session.execute(
            select(DataRequest).where(DataRequest.shop_id == shop_id,
                                      DataRequest.shopify_request_id == request_id)
        ).scalar_one_or_none()
    row = existing or DataRequest(shop_id=shop_id, shopify_request_id=request_id)
    row.customer_hash = min(subject.customer_hashes, default=None)
    row.email_hash = min(subject.email_hashes, default=None)
    row.phone_hash = min(subject.phone_hashes, default=None)
    row.export = json.dumps(export, sort_keys=True)
    row.record_count = sum(len(rows) for rows in export["records"].values())
    now = utcnow()
    row.created_at = row.created_at or now
    row.expires_at = now + timedelta(days=expires_in_days)
    db.session.add(row)
    db.session.flush()
    return row


def _rows(holding: Holding, subject: Subject) -> list[dict[str, Any]]:
    model = holding.model
    columns = [c.key for c in inspect(model).column_attrs]
    found = db.session.execute(select(model).where(holding.find(subject))).scalars().all()
    return [{name: _json_value(getattr(row, name), name) for name in columns} for row in found]


def _json_value(value: Any, name: str = "") -> Any:
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if name == "payload" and isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value
