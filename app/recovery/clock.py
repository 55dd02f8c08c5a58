"""The recovery engine's notion of "now": the real UTC clock, replaceable in tests.

Policy decisions (is it due? inside the window?) read this clock; RQ's own timing (queue now or
at a time) always uses real time, since Redis and the RQ scheduler do.
"""

from __future__ import annotations

from datetime import datetime

from app.dbtypes import utcnow


def now() -> datetime:
    return utcnow()
