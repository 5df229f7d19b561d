"""Message catalogs: extract the project's strings, update each language, compile.

    python -m core.translations          # extract, update translations/<lang>/.../messages.po, compile
    python -m core.translations compile  # only compile (after editing a messages.po by hand)

German entries are written by people (or reviewed) in ``translations/de/LC_MESSAGES/messages.po``;
``tests/unit/test_i18n_coverage.py`` fails while one is missing.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
SOURCE_DIRS = ("core", "portal", "admin", "api", "templates")
LOCALES = ("de",)
KEYWORDS = {
    "_": None,
    "_t": None,
    "_l": None,
    "gettext": None,
    "lazy_gettext": None,
    "ngettext": (1, 2),
    "lazy_ngettext": (1, 2),
}


def extract() -> Catalog:
    """A catalog of every message in the source directories, as ``babel.cfg`` maps them."""
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    catalog = Catalog(project="portal", charset="utf-8")
    for directory in SOURCE_DIRS:
        for filename, lineno, message, comments, context in extract_from_dir(
            str(ROOT / directory), method_map, options_map, keywords=KEYWORDS
        ):
            catalog.add(message, None, [(f"{directory}/{filename}", lineno)], auto_comments=comments, context=context)
    return catalog


def po_path(locale: str) -> Path:
    return TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"


def read_catalog(locale: str) -> Catalog:
    """The catalog of ``locale`` as stored (an empty one if there is none yet)."""
    path = po_path(locale)
    if not path.exists():
        return Catalog(locale=locale, project="portal", charset="utf-8")
    with path.open("rb") as po:
        return read_po(po, locale=locale)


def update() -> None:
    """Merge the extracted messages into every language's catalog (no fuzzy guessing), then compile."""
    template = extract()
    TRANSLATIONS.mkdir(exist_ok=True)
    with (TRANSLATIONS / "messages.pot").open("wb") as pot:
        write_po(pot, template, width=100)
    for locale in LOCALES:
        catalog = read_catalog(locale)
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()  # removed strings leave the catalog instead of piling up
        po_path(locale).parent.mkdir(parents=True, exist_ok=True)
        with po_path(locale).open("wb") as po:
            write_po(po, catalog, width=100)
    compile_catalogs()


def compiled(locale: str) -> bytes:
    """The ``.mo`` file that ``locale``'s ``messages.po`` compiles to (the same bytes every time)."""
    buffer = io.BytesIO()
    write_mo(buffer, read_catalog(locale))
    return buffer.getvalue()


def mo_path(locale: str) -> Path:
    return po_path(locale).with_suffix(".mo")


def compile_catalogs() -> None:
    """Write each language's ``.mo`` next to its ``messages.po``.

    The ``.mo`` files are committed, so every way of running the app (Quick start, ``pip install``
    plus gunicorn, the Docker image) serves German without a build step;
    ``tests/unit/test_compiled_catalogs.py`` fails while a committed one is out of date.
    """
    for locale in LOCALES:
        if po_path(locale).exists():
            mo_path(locale).write_bytes(compiled(locale))


def missing(prefixes: tuple[str, ...] = ("",), extra: tuple[Path, ...] = (), locale: str = "de") -> list[str]:
    """Extracted messages from files under ``prefixes`` that have no translation in ``locale``.

    ``extra`` catalogs count as translations too (work in progress not yet merged).
    """
    catalogs = [read_catalog(locale)]
    for path in extra:
        with path.open("rb") as po:
            catalogs.append(read_po(po, locale=locale))
    result = []
    for message in extract():
        if not message.id or not any(loc.startswith(prefixes) for loc, _line in message.locations):
            continue
        if not any(_translated(catalog.get(message.id, context=message.context)) for catalog in catalogs):
            result.append(message.id if isinstance(message.id, str) else message.id[0])
    return result


def _translated(entry) -> bool:
    if entry is None or entry.fuzzy or not entry.string:
        return False
    return all(entry.string) if isinstance(entry.string, tuple) else True


if __name__ == "__main__":
    # python -m core.translations missing [--po FILE ...] [PATH-PREFIX ...]
    args = sys.argv[1:]
    if args[:1] == ["compile"]:
        compile_catalogs()
    elif args[:1] == ["missing"]:
        rest = args[1:]
        extra = tuple(Path(rest[i + 1]) for i, a in enumerate(rest) if a == "--po")
        prefixes = tuple(a for i, a in enumerate(rest) if a != "--po" and (i == 0 or rest[i - 1] != "--po"))
        for msgid in missing(prefixes or ("",), extra):
            print(repr(msgid))
    else:
        update()
