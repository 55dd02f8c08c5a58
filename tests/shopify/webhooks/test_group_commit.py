"""Group commit on its own: batches, answers, failures and time limits (no database needed)."""

import threading

import pytest

from app.shopify.webhooks.group_commit import BatchFailed, GroupCommit


class _Gate:
    """A flush that holds its first batch until released, recording every batch it is given."""

    def __init__(self, flush):
        self.batches: list[list] = []
        self.release = threading.Event()
        self._flush = flush

    def __call__(self, items):
        self.batches.append(list(items))
        if len(self.batches) == 1:
            self.release.wait(5)
        return self._flush(items)


def _submit_all(batcher: GroupCommit, items) -> tuple[dict, dict, list[threading.Thread]]:
    """Submit each item from a thread of its own: results and errors by item, and the threads."""
    results, errors = {}, {}

    def submit(item):
        try:
            results[item] = batcher.submit(item)
        except BatchFailed as exc:
            errors[item] = exc

    threads = [threading.Thread(target=submit, args=(item,)) for item in items]
    for thread in threads:
        thread.start()
    return results, errors, threads


def _wait_until(condition, seconds: float = 5.0) -> None:
    done = threading.Event()
    for _ in range(int(seconds / 0.01)):
        if condition():
            return
        done.wait(0.01)
    pytest.fail("condition not met in time")


def test_what_arrives_during_a_flush_is_flushed_together_and_each_gets_its_own_result():
    gate = _Gate(lambda items: [item * 10 for item in items])
    batcher = GroupCommit(gate)
    results, errors, threads = _submit_all(batcher, [1])
    _wait_until(lambda: len(gate.batches) == 1)
    more, more_errors, more_threads = _submit_all(batcher, [2, 3, 4, 5])
    _wait_until(lambda: batcher.waiting() == 4)
    gate.release.set()
    for thread in threads + more_threads:
        thread.join(5)
    assert [sorted(batch) for batch in gate.batches] == [[1], [2, 3, 4, 5]]
    assert {**results, **more} == {1: 10, 2: 20, 3: 30, 4: 40, 5: 50}
    assert not errors and not more_errors


def test_a_flush_that_raises_fails_every_waiter_of_its_batch_and_no_other():
    def flush(items):
        if "poison" in items:
            raise RuntimeError("the database said no")
        return items

    gate = _Gate(flush)
    batcher = GroupCommit(gate)
    first, _, threads = _submit_all(batcher, ["first"])
    _wait_until(lambda: len(gate.batches) == 1)
    results, errors, more_threads = _submit_all(batcher, ["a", "poison", "b"])
    _wait_until(lambda: batcher.waiting() == 3)
    gate.release.set()
    for thread in threads + more_threads:
        thread.join(5)
    assert first == {"first": "first"}
    assert not results and set(errors) == {"a", "poison", "b"}
    assert batcher.submit("after") == "after"  # the flusher lives on


def test_a_batch_not_flushed_in_time_is_refused_rather_than_waited_for():
    gate = _Gate(lambda items: items)
    batcher = GroupCommit(gate)
    with pytest.raises(BatchFailed):
        batcher.submit("slow", timeout=0.05)
    gate.release.set()


def test_an_idle_flusher_stops_and_the_next_item_starts_another(monkeypatch):
    from app.shopify.webhooks import group_commit

    monkeypatch.setattr(group_commit, "IDLE_SECONDS", 0.05)
    batcher = GroupCommit(lambda items: items, name="idle-test")
    assert batcher.submit("first") == "first"
    _wait_until(lambda: not any(t.name == "idle-test" for t in threading.enumerate()))
    assert batcher.submit("second") == "second"


def test_quiet_hooks_run_once_each_after_their_delay_without_items():
    ran: list[str] = []
    batcher = GroupCommit(lambda items: items, name="quiet-test",
                          when_quiet=((0.2, lambda: ran.append("late")), (0.01, lambda: ran.append("soon"))))
    assert batcher.submit("first") == "first"
    _wait_until(lambda: ran == ["soon"])
    assert batcher.submit("second") == "second"  # before "late" was due: it waits for the next quiet
    _wait_until(lambda: ran == ["soon", "soon", "late"])
    done = threading.Event()
    done.wait(0.3)
    assert ran == ["soon", "soon", "late"]  # once each per quiet spell, not again and again
    batcher.close()


def test_a_hook_that_raises_does_not_stop_the_flusher():
    def broken():
        raise RuntimeError("Redis said no")

    batcher = GroupCommit(lambda items: items, name="broken-hook-test", when_quiet=((0.0, broken),))
    assert batcher.submit("first") == "first"
    assert batcher.submit("second") == "second"
    batcher.close()


def test_close_runs_the_pending_hooks_and_stops_the_flusher_and_a_later_item_starts_another():
    ran: list[str] = []
    batcher = GroupCommit(lambda items: items, name="close-test",
                          when_quiet=((30.0, lambda: ran.append("hook")),))
    assert batcher.submit("first") == "first"
    batcher.close()
    assert ran == ["hook"]  # at once, not after its 30 s
    _wait_until(lambda: not any(t.name == "close-test" for t in threading.enumerate()))
    assert batcher.submit("second") == "second"
    batcher.close()
    assert ran == ["hook", "hook"]


def test_close_flushes_what_waits_before_it():
    gate = _Gate(lambda items: [item.upper() for item in items])
    batcher = GroupCommit(gate, name="close-waits-test")
    results, errors, threads = _submit_all(batcher, ["a"])
    _wait_until(lambda: len(gate.batches) == 1)
    more, _, more_threads = _submit_all(batcher, ["b", "c"])
    _wait_until(lambda: batcher.waiting() == 2)
    closer = threading.Thread(target=batcher.close)
    closer.start()
    gate.release.set()
    for thread in [*threads, *more_threads, closer]:
        thread.join(5)
    assert {**results, **more} == {"a": "A", "b": "B", "c": "C"} and not errors
