"""The Simplified Chinese catalog covers every string the site marks for translation.

Every template's {% translate %} / {% blocktranslate %} strings (found the way makemessages
finds them, through Django's templatize) and every gettext call in the platform's Python code
must have a non-empty, non-fuzzy msgstr in locale/zh_Hans/LC_MESSAGES/django.po, with the same
placeholders as the English; the committed .mo must say what the .po says.
"""

import ast
import re
from pathlib import Path

import polib
import pytest
from django.utils.translation.template import templatize

ROOT = Path(__file__).resolve().parents[3]
CATALOG = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
COMPILED = CATALOG.with_suffix(".mo")
SOURCE_DIRS = [ROOT / "platform", ROOT / "submissions", ROOT / "benchmarks"]
# name -> (position of the context argument or None, whether a plural follows the msgid)
FUNCTIONS = {
    "gettext": (None, False),
    "gettext_lazy": (None, False),
    "_": (None, False),
    "ngettext": (None, True),
    "ngettext_lazy": (None, True),
    "pgettext": (0, False),
    "pgettext_lazy": (0, False),
    "npgettext": (0, True),
    "npgettext_lazy": (0, True),
}
# (context, msgid, plural or None)
Message = tuple[str | None, str, str | None]


def _message(name: str, strings: list[str]) -> Message | None:
    context_at, plural = FUNCTIONS[name]
    if context_at is not None:
        if len(strings) < 2:
            return None
        context, strings = strings[0], strings[1:]
    else:
        context = None
    if not strings:
        return None
    return (context, strings[0], strings[1] if plural and len(strings) > 1 else None)


CALL = re.compile(r"\b(" + "|".join(FUNCTIONS) + r")\(")
LITERAL = re.compile(r"""\s*(u?(?:'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"))\s*,?""")


def template_messages(path: Path) -> list[Message]:
    """The messages of one template, as makemessages sees them (templatize writes each as a
    Python gettext call amid filler)."""
    code = templatize(path.read_text(encoding="utf-8"), origin=str(path))
    found = []
    for call in CALL.finditer(code):
        strings, at = [], call.end()
        while literal := LITERAL.match(code, at):
            strings.append(ast.literal_eval(literal.group(1)))
            at = literal.end()
        message = _message(call.group(1), strings)
        if message:
            found.append(message)
    return found


def python_messages(path: Path) -> list[Message]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        if name not in FUNCTIONS:
            continue
        strings = []
        for arg in node.args:
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                strings.append(arg.value)
            else:
                break
        message = _message(name, strings)
        if message:
            found.append(message)
    return found


def _templates() -> list[Path]:
    return sorted(
        path
        for base in SOURCE_DIRS
        for path in base.rglob("*")
        if path.is_file() and "templates" in path.parts and path.suffix in {".html", ".txt"}
    )


def _python_files() -> list[Path]:
    return sorted(
        path
        for base in SOURCE_DIRS
        for path in base.rglob("*.py")
        if "migrations" not in path.parts
    )


def _catalog() -> polib.POFile:
    return polib.pofile(str(CATALOG))


def _key(entry: polib.POEntry) -> Message:
    return (entry.msgctxt, entry.msgid, entry.msgid_plural or None)


PLACEHOLDER = re.compile(r"%\([a-z_0-9]+\)[-#0 +]?\d*(?:\.\d+)?[sdrf]|%%|\{[a-z_]*\}")


def test_every_template_and_python_string_has_a_chinese_translation() -> None:
    entries = {_key(entry): entry for entry in _catalog()}
    wanted: dict[Message, str] = {}
    for path in _templates():
        for message in template_messages(path):
            wanted.setdefault(message, str(path.relative_to(ROOT)))
    for path in _python_files():
        for message in python_messages(path):
            wanted.setdefault(message, str(path.relative_to(ROOT)))
    assert len(wanted) > 400  # the scan found the site's strings, not nothing
    problems = []
    for message, where in sorted(wanted.items(), key=lambda item: (item[1], item[0][1])):
        entry = entries.get(message)
        if entry is None:
            problems.append(f"{where}: not in the catalog: {message[1]!r}")
        elif entry.fuzzy or entry.obsolete:
            problems.append(f"{where}: fuzzy or obsolete: {message[1]!r}")
        elif message[2] is None and not entry.msgstr.strip():
            problems.append(f"{where}: no translation: {message[1]!r}")
        elif message[2] is not None and not all(
            text.strip() for text in entry.msgstr_plural.values()
        ):
            problems.append(f"{where}: no plural translation: {message[1]!r}")
    assert not problems, "\n".join(problems)


def test_translations_keep_every_placeholder() -> None:
    problems = []
    for entry in _catalog().translated_entries():
        wanted = sorted(PLACEHOLDER.findall(entry.msgid))
        texts = [entry.msgstr] if not entry.msgid_plural else list(entry.msgstr_plural.values())
        for text in texts:
            if sorted(PLACEHOLDER.findall(text)) != wanted:
                problems.append(f"{entry.msgid!r} -> {text!r}")
    assert not problems, "\n".join(problems)


def test_compiled_catalog_matches_the_source() -> None:
    """The .mo is committed (no gettext tools needed to run the site): it must be current."""
    compiled = {
        (entry.msgctxt, entry.msgid): (entry.msgstr, dict(entry.msgstr_plural))
        for entry in polib.mofile(str(COMPILED))
        if entry.msgid
    }
    source = {
        (entry.msgctxt, entry.msgid): (entry.msgstr, dict(entry.msgstr_plural))
        for entry in _catalog().translated_entries()
    }
    assert compiled == source, (
        "locale/zh_Hans/LC_MESSAGES/django.mo is stale: run "
        "`.venv/bin/python manage.py compilemessages` (docs/i18n.md)"
    )


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('{% load i18n %}{% translate "Rank" %}', [(None, "Rank", None)]),
        (
            "{% load i18n %}{% blocktranslate trimmed with n=x %}\n  {{ n }} rows\n"
            "{% endblocktranslate %}",
            [(None, "%(n)s rows", None)],
        ),
        (
            "{% load i18n %}{% blocktranslate count c=x %}{{ c }} run{% plural %}{{ c }} runs"
            "{% endblocktranslate %}",
            [(None, "%(c)s run", "%(c)s runs")],
        ),
        ('{% load i18n %}{% translate "in" context "where" %}', [("where", "in", None)]),
    ],
)
def test_the_template_scan_finds_each_kind_of_tag(
    tmp_path: Path, source: str, expected: list[Message]
) -> None:
    path = tmp_path / "t.html"
    path.write_text(source, encoding="utf-8")
    assert template_messages(path) == expected
