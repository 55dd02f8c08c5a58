import pytest

from app.jobs import periodic

pytestmark = pytest.mark.data


def test_periodic_entries_resolve_to_functions():
    for entry in periodic.PERIODIC:
        assert callable(periodic.resolve(entry))


def test_tick_enqueues_each_entry_once_per_interval(app):
    first = periodic.tick()
    assert first == [e.name for e in periodic.PERIODIC]
    assert periodic.tick() == []  # another worker ticking in the same interval adds nothing
