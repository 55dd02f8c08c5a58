"""docs/privacy.md is what the promises and the marked tests say (tools/promises.py --check)."""

from __future__ import annotations

import textwrap

import pytest

from tools import promises


def test_the_privacy_promises_table_is_current_and_every_promise_is_proven_or_pending():
    problems = promises.check()
    assert problems == [], "\n".join(problems)


# -- the check itself, on a made-up suite -----------------------------------------------------------


def _suite(tmp_path, source: str):
    """A tests/ tree of one file; returns its markers and a doc rendered from them."""
    tests = tmp_path / "tests"
    tests.mkdir()
    (tests / "test_x.py").write_text(textwrap.dedent(source), encoding="utf-8")
    evidence = promises.collect(tests)
    doc = tmp_path / "privacy.md"
    doc.write_text(promises.render(evidence), encoding="utf-8")
    return evidence, doc


def _every_promise_proven() -> str:
    return "".join(f'@pytest.mark.promise("{p.id}")\n' for p in promises.PROMISES if not p.pending)


def test_decorators_class_marks_and_pytestmark_are_all_read(tmp_path):
    evidence, _ = _suite(tmp_path, """
        import pytest
        pytestmark = [pytest.mark.data, pytest.mark.promise("erasure")]

        @pytest.mark.promise("opt-in-only")
        @pytest.mark.parametrize("x", [1, 2])
        def test_a(x): ...

        @pytest.mark.promise("no-pii-in-logs")
        class TestB:
            async def test_c(self): ...
    """)
    assert promises.tests_by_promise(evidence.marks) == {
        "erasure": ["tests/test_x.py::TestB::test_c", "tests/test_x.py::test_a"],
        "opt-in-only": ["tests/test_x.py::test_a"],
        "no-pii-in-logs": ["tests/test_x.py::TestB::test_c"],
    }


def test_a_complete_suite_passes(tmp_path):
    evidence, doc = _suite(tmp_path, f"import pytest\n{_every_promise_proven()}def test_all(): ...\n")
    assert promises.check(evidence, doc) == []


@pytest.mark.parametrize(("marker", "complaint"), [
    ('promise("erasur")', "unknown promise 'erasur'"),
    ("promise(ERASURE)", "one string literal"),
    ('promise("erasure", "opt-in-only")', "one string literal"),
])
def test_a_marker_that_names_no_known_promise_fails(tmp_path, marker, complaint):
    evidence, doc = _suite(tmp_path, f"import pytest\n{_every_promise_proven()}"
                                     f"@pytest.mark.{marker}\ndef test_typo(): ...\n")
    [problem] = promises.check(evidence, doc)
    assert "tests/test_x.py:" in problem and "test_typo" in problem and complaint in problem


def test_a_marker_on_a_function_pytest_does_not_collect_fails(tmp_path):
    evidence, doc = _suite(tmp_path, f"import pytest\n{_every_promise_proven()}def test_all(): ...\n"
                                     '@pytest.mark.promise("erasure")\ndef helper(): ...\n')
    [problem] = promises.check(evidence, doc)
    assert "helper" in problem and "does not collect" in problem


def test_a_promise_without_tests_fails_unless_it_is_pending(tmp_path):
    evidence, doc = _suite(tmp_path, "def test_nothing_marked(): ...\n")
    problems = promises.check(evidence, doc)
    unproven = {p.id for p in promises.PROMISES if not p.pending}
    assert len(problems) == len(unproven) and all("has no test" in p for p in problems)
    assert not any(f"{p.id!r}" in " ".join(problems) for p in promises.PROMISES if p.pending)


def test_a_stale_doc_fails_with_the_command_that_regenerates_it(tmp_path):
    evidence, doc = _suite(tmp_path, f"import pytest\n{_every_promise_proven()}def test_all(): ...\n")
    doc.write_text(doc.read_text(encoding="utf-8").replace("proven by 1 test", "proven by 2 tests"),
                   encoding="utf-8")
    [problem] = promises.check(evidence, doc)
    assert "regenerate" in problem and promises.REGENERATE in problem


def test_a_code_path_that_does_not_exist_fails(tmp_path, monkeypatch):
    gone = promises.Promise("erasure", "Nothing is left.", ("app/privacy/erasure.py", "app/privacy/gone.py"))
    monkeypatch.setattr(promises, "PROMISES", (gone,))
    evidence, doc = _suite(tmp_path, 'import pytest\n@pytest.mark.promise("erasure")\ndef test_a(): ...\n')
    assert promises.check(evidence, doc) == [
        "promise 'erasure' names app/privacy/gone.py, which does not exist"]


def test_a_test_file_that_does_not_parse_is_reported_not_skipped(tmp_path):
    evidence, doc = _suite(tmp_path, f"import pytest\n{_every_promise_proven()}def test_all(): ...\n")
    (tmp_path / "tests" / "test_broken.py").write_text("def test_(:\n", encoding="utf-8")
    evidence = promises.collect(tmp_path / "tests")
    [problem] = promises.check(evidence, doc)
    assert problem.startswith("tests/test_broken.py:1: does not parse")
