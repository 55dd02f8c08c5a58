"""Intake on PostgreSQL: group commit through the real route, and the inbox that wakes the workers."""

import json
import threading

import psycopg
import pytest
from sqlalchemy import func, select, text

from app import crypto, jobs
from app.extensions import db
from app.shopify.webhooks import intake, processing
from app.shopify.webhooks.models import DeliveryStatus, WebhookDelivery
from tests.conftest import backend

pytestmark = [pytest.mark.data,
              pytest.mark.skipif(backend() == "sqlite", reason="SQLite stores each delivery directly")]


@pytest.fixture
def gated_batches(app, monkeypatch):
    """Holds the first batch in the flusher until released, so the requests that arrive meanwhile
    make up the next batch; records the size of every batch stored."""
    sizes: list[int] = []
    release = threading.Event()
    store_batch = intake.store_batch

    def gated(batch, *args):
        sizes.append(len(batch))
        if len(sizes) == 1:
            release.wait(5)
        return store_batch(batch, *args)

    monkeypatch.setattr(intake, "store_batch", gated)
    return sizes, release


def _post_concurrently(app, deliveries) -> tuple[dict[str, tuple[int, str]], list[threading.Thread]]:
    """POST each (key, body, headers) from a thread of its own: status and message by key (filled
    in as they answer), and the threads."""
    answers: dict[str, tuple[int, str]] = {}

    def post(key, body, headers):
        response = app.test_client().post("/webhooks", data=body, headers=headers)
        answers[key] = (response.status_code, response.get_json()["message"])

    threads = [threading.Thread(target=post, args=delivery) for delivery in deliveries]
    for thread in threads:
        thread.start()
    return answers, threads


def _in_one_batch(app, gated_batches, opener, deliveries) -> dict[str, tuple[int, str]]:
    """Post `opener` (held in the flusher), then `deliveries` concurrently: they form one batch.
    The answers by key ("opener" for the opener)."""
    sizes, release = gated_batches
    first, threads = _post_concurrently(app, [("opener", *opener)])
    batcher = app.extensions[intake.EXTENSION_KEY]
    _wait_until(lambda: len(sizes) == 1)
    answers, more = _post_concurrently(app, deliveries)
    _wait_until(lambda: batcher.waiting() == len(deliveries))
    release.set()
    for thread in threads + more:
        thread.join(10)
    assert sizes == [1, len(deliveries)]
    return {**first, **answers}


def _wait_until(condition, seconds: float = 5.0) -> None:
    pause = threading.Event()
    for _ in range(int(seconds / 0.01)):
        if condition():
            return
        pause.wait(0.01)
    pytest.fail("condition not met in time")


def _rows() -> list[WebhookDelivery]:
    db.session.rollback()
    return db.session.execute(select(WebhookDelivery).order_by(WebhookDelivery.id)).scalars().all()


def _delivery(signed_webhook, key, topic="checkouts/update", webhook_id=None):
    body, headers = signed_webhook(topic, {"id": 1, "token": f"tok-{key}"},
                                   webhook_id=webhook_id or f"batch-{key}")
    return body, headers


def test_concurrent_deliveries_are_stored_by_one_insert_and_each_gets_its_own_answer(
    app, gated_batches, signed_webhook
):
    deliveries = [(key, *_delivery(signed_webhook, key)) for key in ("a", "b", "c", "d")]
    answers = _in_one_batch(app, gated_batches, _delivery(signed_webhook, "opener"), deliveries)
    assert answers == {key: (200, "accepted") for key in ("opener", "a", "b", "c", "d")}
    rows = _rows()
    assert sorted(row.webhook_id for row in rows) == [f"batch-{k}" for k in ("a", "b", "c", "d", "opener")]
    assert len({row.received_at for row in rows if row.webhook_id != "batch-opener"}) == 1  # one statement
    assert all(row.status == DeliveryStatus.RECEIVED and row.payload for row in rows)


def test_a_webhook_id_twice_in_one_batch_is_stored_once_and_the_second_is_a_duplicate(
    app, gated_batches, signed_webhook
):
    opener = _delivery(signed_webhook, "opener")
    twice = _delivery(signed_webhook, "twice")
    known = _delivery(signed_webhook, "opener")  # already stored by the batch before
    answers = _in_one_batch(app, gated_batches, opener,
                            [("first", *twice), ("again", *twice), ("known", *known)])
    assert answers["opener"] == (200, "accepted")
    assert sorted([answers["first"], answers["again"]]) == [(200, "accepted"), (200, "duplicate delivery")]
    assert answers["known"] == (200, "duplicate delivery")
    assert [row.webhook_id for row in _rows()] == ["batch-opener", "batch-twice"]


@pytest.fixture
def poisoned_deliveries(app):
    """A trigger that makes PostgreSQL refuse any insert of a webhook id starting with 'poison'."""
    with db.engine.begin() as conn:
        conn.execute(text("""
            CREATE FUNCTION test_refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'refused by the test'; END $$"""))
        conn.execute(text("""
            CREATE TRIGGER test_refuse_poison BEFORE INSERT ON webhook_deliveries FOR EACH ROW
            WHEN (NEW.webhook_id LIKE 'poison%') EXECUTE FUNCTION test_refuse_poison()"""))
    yield
    db.session.remove()  # its open transaction would keep DROP TRIGGER waiting
    with db.engine.begin() as conn:
        conn.execute(text("DROP TRIGGER test_refuse_poison ON webhook_deliveries"))
        conn.execute(text("DROP FUNCTION test_refuse_poison()"))


def test_a_database_error_answers_503_to_every_delivery_of_the_batch_and_stores_none_of_them(
    app, gated_batches, poisoned_deliveries, signed_webhook
):
    opener = _delivery(signed_webhook, "opener")
    batch = [("poison", *_delivery(signed_webhook, "poison", webhook_id="poison-1"))]
    batch += [(key, *_delivery(signed_webhook, key)) for key in ("a", "b")]
    answers = _in_one_batch(app, gated_batches, opener, batch)
    assert answers.pop("opener") == (200, "accepted")
    assert answers == {key: (503, "temporarily unavailable") for key in ("poison", "a", "b")}
    assert [row.webhook_id for row in _rows()] == ["batch-opener"]
    # Shopify retries; the retries of the good ones, in a batch of their own, are stored.
    retry, threads = _post_concurrently(app, [batch[1]])
    for thread in threads:
        thread.join(10)
    assert retry == {"a": (200, "accepted")}


def test_a_stored_delivery_reaches_a_worker_through_the_inbox_and_is_processed(
    client, signed_webhook, run_jobs
):
    body, headers = signed_webhook("app/scopes_update", {"current": ["read_orders"]})
    assert client.post("/webhooks", data=body, headers=headers).status_code == 200
    [delivery] = _rows()
    assert jobs.redis().zscore(jobs.qualified(processing.INBOX), str(delivery.id)) is not None
    assert jobs.queue().count == 1  # one drain job, whatever the number of deliveries it finds
    run_jobs()
    [delivery] = _rows()
    assert delivery.status == DeliveryStatus.PROCESSED and delivery.payload is None
    assert jobs.redis().zcard(jobs.qualified(processing.INBOX)) == 0


def test_deliveries_stored_while_a_drain_waits_ride_on_that_drain(client, signed_webhook, run_jobs):
    for key in ("a", "b", "c"):
        body, headers = signed_webhook("app/scopes_update", {"current": []}, webhook_id=f"wait-{key}")
        assert client.post("/webhooks", data=body, headers=headers).status_code == 200
    assert jobs.queue().count == 1
    run_jobs()
    assert {row.status for row in _rows()} == {DeliveryStatus.PROCESSED}


def test_a_drain_job_lost_from_redis_is_replaced_by_the_sweeper(app, client, signed_webhook, run_jobs):
    body, headers = signed_webhook("app/scopes_update", {"current": []})
    assert client.post("/webhooks", data=body, headers=headers).status_code == 200
    jobs.queue().empty()  # the drain job is gone; its waiting flag expires in time
    jobs.redis().delete(jobs.qualified(processing.DRAIN_WAITING))
    app.config["WEBHOOK_SWEEP_GRACE_SECONDS"] = 0
    assert processing.sweep() == 0  # still in the inbox: a new drain job is queued for it
    run_jobs()
    assert [row.status for row in _rows()] == [DeliveryStatus.PROCESSED]


def test_a_delivery_taken_by_a_drain_that_died_is_queued_again_by_the_sweeper(
    app, client, signed_webhook, run_jobs
):
    body, headers = signed_webhook("app/scopes_update", {"current": []})
    assert client.post("/webhooks", data=body, headers=headers).status_code == 200
    jobs.redis().zpopmin(jobs.qualified(processing.INBOX))  # taken, then the worker died
    jobs.queue().empty()
    app.config["WEBHOOK_SWEEP_GRACE_SECONDS"] = 0
    assert processing.sweep() == 1
    run_jobs()
    assert [row.status for row in _rows()] == [DeliveryStatus.PROCESSED]


def test_with_group_commit_off_each_delivery_is_stored_and_queued_on_its_own(
    make_app, app, signed_webhook, run_jobs
):
    direct = make_app(WEBHOOK_GROUP_COMMIT=False)
    assert intake.EXTENSION_KEY not in direct.extensions
    body, headers = signed_webhook("app/scopes_update", {"current": []})
    assert direct.test_client().post("/webhooks", data=body, headers=headers).status_code == 200
    [delivery] = _rows()
    assert jobs.is_live(processing.job_id(delivery.id))
    run_jobs()
    assert [row.status for row in _rows()] == [DeliveryStatus.PROCESSED]
    assert db.session.execute(select(func.count()).select_from(WebhookDelivery)).scalar_one() == 1


def _values(key: str) -> dict:
    return {"webhook_id": f"direct-{key}", "event_id": None, "topic": "app/scopes_update",
            "shop_domain": "alpha.myshopify.com", "api_version": "2025-10", "triggered_at": None,
            "payload": '{"current": []}', "payload_bytes": 15, "status": DeliveryStatus.RECEIVED}


@pytest.fixture
def announcements(monkeypatch) -> list[list[int]]:
    """Every push of new ids to the workers' inbox, as the intake makes it."""
    pushes: list[list[int]] = []
    push = processing.enqueue_new_deliveries

    def record(ids):
        pushes.append(list(ids))
        return push(ids)

    monkeypatch.setattr(intake, "enqueue_new_deliveries", record)
    return pushes


def test_a_lone_delivery_is_announced_before_it_is_answered(app, announcements):
    batcher = app.extensions[intake.EXTENSION_KEY]
    delivery_id = batcher.submit(_values("lone"))
    assert announcements == [[delivery_id]]  # already, not after the quiet delay
    assert jobs.redis().zscore(jobs.qualified(processing.INBOX), str(delivery_id)) is not None


def test_batches_stored_close_together_share_one_announcement(app, announcements, monkeypatch):
    monkeypatch.setattr(intake, "ANNOUNCE_EVERY_SECONDS", 60.0)
    batcher = app.extensions[intake.EXTENSION_KEY]
    first = batcher.submit(_values("first"))
    rest = [batcher.submit(_values(f"next-{i}")) for i in range(5)]  # five batches within 60 s
    _wait_until(lambda: batcher.unannounced() == 0)  # told once the flusher has been quiet
    assert announcements == [[first], rest]
    inbox = jobs.redis().zrange(jobs.qualified(processing.INBOX), 0, -1)
    assert sorted(int(member) for member in inbox) == sorted([first, *rest])


def _checked_out(app) -> int:
    return db.engine.pool.checkedout()


def test_the_flusher_holds_one_connection_while_busy_and_gives_it_back_when_idle(app, monkeypatch):
    monkeypatch.setattr(intake, "RELEASE_SECONDS", 0.05)
    batcher = intake.BatchedIntake(app)  # built after the patch: its hooks read the constant
    db.session.remove()
    before = _checked_out(app)
    for i in range(3):
        assert batcher.submit(_values(f"held-{i}")) is not None
    assert _checked_out(app) == before + 1  # one for all three batches, kept between them
    _wait_until(lambda: _checked_out(app) == before)
    batcher.close()


def test_a_dead_held_connection_is_replaced_and_the_batch_stored(app):
    batcher = app.extensions[intake.EXTENSION_KEY]
    assert batcher.submit(_values("before")) is not None
    # A database restart, as far as the flusher's connection can tell: its server process ends.
    with db.engine.connect() as conn:
        ended = conn.execute(text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'idle'"
            " AND query LIKE '%json_populate_recordset%'")).scalar_one()
    assert ended == 1
    after = batcher.submit(_values("after"))
    assert after is not None
    assert [row.webhook_id for row in _rows()] == ["direct-before", "direct-after"]


def test_close_announces_what_is_pending_and_gives_the_connection_back(app, announcements, monkeypatch):
    monkeypatch.setattr(intake, "ANNOUNCE_EVERY_SECONDS", 60.0)
    monkeypatch.setattr(intake, "ANNOUNCE_QUIET_SECONDS", 30.0)
    batcher = intake.BatchedIntake(app)
    db.session.remove()
    before = _checked_out(app)
    first = batcher.submit(_values("a"))
    second = batcher.submit(_values("b"))
    assert announcements == [[first]]
    batcher.close()
    assert announcements == [[first], [second]] and _checked_out(app) == before


def test_a_row_is_encrypted_and_serialised_in_the_requests_thread_before_the_flusher_sees_it(app):
    keyring = crypto.keyring()
    row = intake.Row.of(_values("row"), keyring)
    stored = json.loads(row.json)
    assert row.webhook_id == "direct-row" and row.queued
    assert '{"current": []}' not in row.json and keyring.decrypt(stored["payload"]) == '{"current": []}'
    ignored = intake.Row.of({**_values("other"), "payload": None, "status": DeliveryStatus.IGNORED}, keyring)
    assert not ignored.queued and json.loads(ignored.json)["payload"] is None


@pytest.fixture
def prepared_connection(app):
    """A pool connection set up as the flusher sets up its own: autocommit, the insert prepared."""
    connection = db.engine.raw_connection()
    connection.driver_connection.autocommit = True
    intake._prepare(connection.driver_connection.pgconn)
    yield connection
    connection.driver_connection.autocommit = False
    connection.close()


def test_preparing_the_insert_again_on_a_connection_that_has_it_is_harmless(prepared_connection):
    intake._prepare(prepared_connection.driver_connection.pgconn)  # as a later checkout of it does
    keyring = crypto.keyring()
    # A header is Latin-1 to WSGI: an id past ASCII must come back as the same text.
    rows = [intake.Row.of(_values(key), keyring) for key in ("one", "twö", "one")]
    ids = intake.store_batch(rows, prepared_connection)
    assert ids[0] is not None and ids[1] is not None and ids[2] is None  # the repeat, in one batch
    assert [row.webhook_id for row in _rows()] == ["direct-one", "direct-twö"]


def test_a_batch_the_database_refuses_raises_its_error_and_is_not_retried(
    prepared_connection, poisoned_deliveries
):
    row = intake.Row.of({**_values("x"), "webhook_id": "poison-x"}, crypto.keyring())
    with pytest.raises(psycopg.errors.RaiseException, match="refused by the test"):
        intake.store_batch([row], prepared_connection)  # not an OperationalError: no second attempt
    assert _rows() == []
