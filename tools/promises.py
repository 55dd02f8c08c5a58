"""The privacy promises, each with the tests that prove it and the code that keeps it.

`python tools/promises.py` writes docs/privacy.md from the PROMISES below and the tests marked
`@pytest.mark.promise("<id>")`; `--check` fails when that file is stale, a promise not listed as
pending has no test, a marker names an unknown promise, or a code path does not exist.
Markers are read by parsing tests/ (no import, no database), so the check runs anywhere.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"
DOC = ROOT / "docs" / "privacy.md"
REGENERATE = ".venv/bin/python tools/promises.py"
MARKER = "promise"


@dataclass(frozen=True)
class Promise:
    id: str
    promise: str
    code: tuple[str, ...]
    # Why the promise is not yet proven; a pending promise may have no test (or only partial ones).
    pending: str | None = None


PROMISES: tuple[Promise, ...] = (
    Promise(
        "opt-in-only",
        "Only shoppers who opted in at checkout are contacted, and only on the channels they agreed to: "
        "consent comes before contact and is checked again at the moment of contact.",
        ("app/consent/ledger.py", "app/consent/queries.py", "app/recovery/policy.py",
         "app/recovery/jobs.py", "app/sms/conversation.py"),
    ),
    Promise(
        "stop-at-once",
        "STOP (the SMS keyword, a spoken \"stop\", pressing 9) is honoured at once, on every channel: "
        "the number is suppressed and everything pending for it is cancelled.",
        ("app/agent/intents.py", "app/sms/inbound.py", "app/voice/conversation.py",
         "app/consent/suppression.py", "app/recovery/scheduler.py"),
    ),
    Promise(
        "ai-disclosure",
        "The assistant says it is an automated AI assistant calling on behalf of the store, before "
        "anything else, and again whenever asked.",
        ("app/agent/disclosure.py", "app/agent/prompt.py", "app/voice/twiml.py"),
    ),
    Promise(
        "recording-announced",
        "When recording is on, the opening says the call may be recorded; when it is off, it does not.",
        ("app/agent/disclosure.py", "app/voice/conversation.py"),
    ),
    Promise(
        "retention-24-months",
        "Personal data is kept at most the shop's retention_days (never more than 24 months); consent "
        "is kept 24 months after its last use; opt-outs are never aged out.",
        ("app/privacy/retention.py", "app/shops/settings.py", "app/jobs/periodic.py"),
    ),
    Promise(
        "access-and-portability",
        "customers/data_request compiles every record the app holds on the customer, and nothing of "
        "anyone else, as JSON the store owner downloads.",
        ("app/privacy/export.py", "app/privacy/subject.py", "app/privacy/api.py",
         "app/privacy/registry.py"),
    ),
    Promise(
        "erasure",
        "customers/redact and shop/redact leave nothing behind: not in the database, the queue, at "
        "Twilio or in the logs.",
        ("app/privacy/erasure.py", "app/privacy/twilio_erasure.py", "app/privacy/registry.py"),
    ),
    Promise(
        "restriction-and-rectification",
        "Processing of a customer can be restricted, and corrected data replaces the old.",
        ("app/privacy/restriction.py", "app/recovery/intake.py"),
        pending="restriction is proven, and a corrected checkout from Shopify replaces the stored one; "
        "a customer record corrected in Shopify is not carried to the customer's other checkouts "
        "(the app does not subscribe to customers/update yet).",
    ),
    Promise(
        "phone-shared-only-with-telephony",
        "Phone numbers go only to the telephony provider (Twilio): the language model is never sent "
        "a phone number, e-mail or address.",
        ("app/agent/types.py", "app/agent/prompt.py", "app/telephony/client.py"),
    ),
    Promise(
        "no-training-on-customer-data",
        "No customer data is used to train models: the app trains none, and every request to the "
        "language model sets store=false and carries no user identifier.",
        ("app/agent/llm.py",),
    ),
    Promise(
        "encryption-at-rest",
        "Personal columns are encrypted at rest (keyed hashes for lookups), and keys rotate without "
        "losing data or opt-outs.",
        ("app/crypto.py", "app/dbtypes.py", "app/keys.py"),
    ),
    Promise(
        "encryption-in-transit",
        "Personal data travels only over TLS.",
        ("app/config.py", "app/recovery/links.py"),
        pending="only the app's own URL (production requires https) and recovery links (https only) "
        "are tested; nothing yet requires TLS to PostgreSQL, Redis or the Twilio and LLM endpoints.",
    ),
    Promise(
        "no-pii-in-logs",
        "Nothing personal (phone, e-mail, name, message text, recovery link, IP address) reaches a log "
        "line.",
        ("app/logs.py",),
    ),
)


@dataclass(frozen=True)
class Mark:
    """One `promise(...)` marker as written in a test file."""

    test: str  # tests/x.py::test_name
    promise: str | None  # None when the marker cannot be read statically
    where: str  # tests/x.py:line


@dataclass
class Evidence:
    marks: list[Mark] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # files or markers that cannot be read


# -- reading the markers -------------------------------------------------------------------------


def collect(tests: Path = TESTS) -> Evidence:
    """Every promise marker on a test in tests/**/*.py, read with ast."""
    evidence = Evidence()
    for path in sorted(tests.rglob("*.py")):
        relative = path.relative_to(tests.parent).as_posix()  # tests/x.py, as pytest names it
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=relative)
        except SyntaxError as error:
            evidence.errors.append(f"{relative}:{error.lineno}: does not parse, so its markers "
                                       f"cannot be read ({error.msg})")
            continue
        evidence.marks.extend(_marks_of_module(tree, relative, evidence.errors))
    return evidence


def _marks_of_module(tree: ast.Module, relative: str, errors: list[str]) -> Iterator[Mark]:
    module_marks = list(_pytestmark(tree.body))
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            inherited = [*module_marks, *node.decorator_list, *_pytestmark(node.body)]
            for child in node.body:
                if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                    collected = node.name.startswith("Test") and child.name.startswith("test")
                    yield from _marks_of_function(child, f"{relative}::{node.name}::{child.name}",
                                                  relative, inherited, collected, errors)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield from _marks_of_function(node, f"{relative}::{node.name}", relative, module_marks,
                                          node.name.startswith("test"), errors)


def _pytestmark(body: Iterable[ast.stmt]) -> Iterator[ast.expr]:
    """The expressions of a `pytestmark = ...` assignment (one mark, or a list or tuple of them)."""
    for node in body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets
        ):
            value = node.value
            yield from value.elts if isinstance(value, ast.List | ast.Tuple) else (value,)


def _marks_of_function(node: ast.FunctionDef | ast.AsyncFunctionDef, test: str, relative: str,
                       inherited: list[ast.expr], collected: bool, errors: list[str]) -> Iterator[Mark]:
    own = [d for d in node.decorator_list if _is_promise(d)]
    if not collected:
        if own:  # pytest would never run it, so it proves nothing
            errors.append(f"{relative}:{node.lineno}: {node.name} carries a promise marker but pytest "
                          "does not collect it as a test")
        return
    for expression in [*inherited, *own]:
        if _is_promise(expression):
            yield Mark(test, _promise_id(expression), f"{relative}:{expression.lineno}")


def _is_promise(expression: ast.expr) -> bool:
    target = expression.func if isinstance(expression, ast.Call) else expression
    return isinstance(target, ast.Attribute) and target.attr == MARKER and _dotted(target.value) in (
        "pytest.mark", "mark")


def _dotted(expression: ast.expr) -> str:
    if isinstance(expression, ast.Name):
        return expression.id
    if isinstance(expression, ast.Attribute):
        return f"{_dotted(expression.value)}.{expression.attr}"
    return ""


def _promise_id(expression: ast.expr) -> str | None:
    """The id of `promise("id")`; None unless it is exactly one string literal."""
    if not isinstance(expression, ast.Call) or expression.keywords or len(expression.args) != 1:
        return None
    (argument,) = expression.args
    return argument.value if isinstance(argument, ast.Constant) and isinstance(argument.value, str) else None


def tests_by_promise(marks: Iterable[Mark]) -> dict[str, list[str]]:
    """Each promise id mapped to its tests, sorted and without repeats."""
    found: dict[str, set[str]] = {}
    for mark in marks:
        if mark.promise is not None:
            found.setdefault(mark.promise, set()).add(mark.test)
    return {promise: sorted(tests) for promise, tests in found.items()}


# -- writing the table ---------------------------------------------------------------------------

INTRO = f"""# Privacy promises

What Ringback promises about shoppers' personal data, the tests that prove each promise and the code
that keeps it.

This file is generated by `tools/promises.py` from its `PROMISES` table and from the tests marked
`@pytest.mark.promise("<id>")`. Do not edit it by hand: change the promise there, or mark the test,
then regenerate with

    {REGENERATE}

`make test` runs `tests/test_privacy_promises.py`, which fails when this file is stale, when a
promise that is not pending has no test, when a marker names an unknown promise, or when a code
path listed here does not exist.

A promise that is **not yet proven** is one nobody has shown by a test yet; the tests listed beside
it, if any, prove only part of it.
"""


def render(evidence: Evidence) -> str:
    """docs/privacy.md as it should be."""
    tests = tests_by_promise(evidence.marks)
    rows = ["| Promise | Status | Tests | Code |", "| --- | --- | --- | --- |"]
    rows += [_row(promise, tests.get(promise.id, [])) for promise in PROMISES]
    return INTRO + "\n" + "\n".join(rows) + "\n"


def _row(promise: Promise, tests: list[str]) -> str:
    count = f"{len(tests)} test{'s' if len(tests) != 1 else ''}"
    status = f"**not yet proven**: {promise.pending}" if promise.pending else f"proven by {count}"
    cells = (
        f"`{promise.id}`<br>{promise.promise}",
        _escape(status),
        "<br>".join(f"`{test}`" for test in tests) or "none",
        "<br>".join(f"`{path}`" for path in promise.code),
    )
    return "| " + " | ".join(cells) + " |"


def _escape(text: str) -> str:
    return text.replace("|", "\\|")


# -- checking ------------------------------------------------------------------------------------


def check(evidence: Evidence | None = None, doc: Path = DOC) -> list[str]:
    """Everything that makes docs/privacy.md wrong or stale; empty when it is right."""
    evidence = collect() if evidence is None else evidence
    found = [*_table_problems(), *evidence.errors, *_marker_problems(evidence.marks)]
    found += _proof_problems(tests_by_promise(evidence.marks))
    if not doc.exists() or doc.read_text(encoding="utf-8") != render(evidence):
        found.append(f"{_shown(doc)} is not what the promises and the tests say: regenerate it with "
                     f"`{REGENERATE}`")
    return found


def _shown(path: Path) -> str:
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)


def _table_problems() -> Iterator[str]:
    ids = [promise.id for promise in PROMISES]
    for duplicate in sorted({i for i in ids if ids.count(i) > 1}):
        yield f"promise {duplicate!r} is listed twice in tools/promises.py"
    for promise in PROMISES:
        if not promise.code:
            yield f"promise {promise.id!r} names no code"
        for path in promise.code:
            if not (ROOT / path).is_file():
                yield f"promise {promise.id!r} names {path}, which does not exist"


def _marker_problems(marks: Iterable[Mark]) -> Iterator[str]:
    known = {promise.id for promise in PROMISES}
    for mark in marks:
        if mark.promise is None:
            yield (f"{mark.where}: {mark.test} has a promise marker that is not promise(\"<id>\") with one "
                   "string literal")
        elif mark.promise not in known:
            yield (f"{mark.where}: {mark.test} is marked with unknown promise {mark.promise!r} "
                   f"(known: {', '.join(sorted(known))})")


def _proof_problems(tests: dict[str, list[str]]) -> Iterator[str]:
    for promise in PROMISES:
        if not promise.pending and not tests.get(promise.id):
            yield (f"promise {promise.id!r} has no test: mark the tests that prove it with "
                   f"@pytest.mark.promise({promise.id!r}), or give it pending=... in tools/promises.py")


def write(doc: Path = DOC) -> Evidence:
    evidence = collect()
    doc.write_text(render(evidence), encoding="utf-8", newline="\n")
    return evidence


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="fail (exit 1) instead of writing when docs/privacy.md is wrong or stale")
    arguments = parser.parse_args(argv)
    evidence = None if arguments.check else write()
    found = check(evidence)
    for problem in found:
        print(f"privacy promises: {problem}", file=sys.stderr)
    if not arguments.check:
        print(f"wrote {_shown(DOC)}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
