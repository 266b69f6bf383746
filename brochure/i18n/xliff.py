"""A language's catalog <-> XLIFF 1.2, for translators who work in a CAT tool.

memoQ, Trados, OmegaT, Phrase and Poedit read XLIFF 1.2; a PO file sent through a generic
converter loses its msgctxt (translate-toolkit's po2xliff/xliff2po round trip does), and with it
which document each translation belongs to. The export keeps each message's identity in the
trans-unit id (the document id and a hash of the English), the translator's notes, the
location, and the state (fuzzy is `needs-review-translation`, with the English the translation
was made for as an `alt-trans`). The import refuses a file for another language, unknown ids
and units whose English changed since the export, and changes exactly the translations that
were edited.

The XML is written with the standard library and read with defusedxml: a file from outside
may not expand entities or fetch a DTD.
"""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from ..errors import BrochureError, Location, Problem
from .pofile import Catalog, Message

__all__ = ["export", "import_", "unit_id"]

NS = "urn:oasis:names:tc:xliff:document:1.2"
_Q = f"{{{NS}}}"
_DONE = {"translated", "final", "signed-off"}


def unit_id(message: Message) -> str:
    """A trans-unit id that names the message for as long as its English stays the same."""
    digest = hashlib.sha1(f"{message.context or ''}\x04{message.id}".encode()).hexdigest()
    return f"{message.context or 'templates'}.{digest[:12]}"


def export(catalog: Catalog, source_language: str, lang: str) -> bytes:
    """The catalog's messages as XLIFF 1.2, one <file> per document."""
    ET.register_namespace("", NS)
    root = ET.Element(f"{_Q}xliff", version="1.2")
    files: dict[str, ET.Element] = {}
    for message in catalog.active:
        if not message.id or message.plural_id is not None:
            continue  # the header, and plural forms, which stay in the PO file
        original = message.context or "templates"
        if original not in files:
            file = ET.SubElement(
                root,
                f"{_Q}file",
                original=original,
                datatype="x-markdown" if message.context else "plaintext",
            )
            file.set("source-language", source_language)
            file.set("target-language", lang)
            files[original] = ET.SubElement(file, f"{_Q}body")
        unit = ET.SubElement(files[original], f"{_Q}trans-unit", id=unit_id(message))
        unit.set("resname", message.context or "templates")
        unit.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
        unit.set("approved", "yes" if message.translated else "no")
        ET.SubElement(unit, f"{_Q}source").text = message.id
        target = ET.SubElement(unit, f"{_Q}target", state=_state(message))
        target.text = message.string
        if message.fuzzy and message.previous_id:
            alt = ET.SubElement(unit, f"{_Q}alt-trans", origin="previous English")
            ET.SubElement(alt, f"{_Q}source").text = message.previous_id
            ET.SubElement(alt, f"{_Q}target").text = message.string
        for comment in message.extracted:
            ET.SubElement(unit, f"{_Q}note", {"from": "developer"}).text = comment
        for comment in message.comments:
            ET.SubElement(unit, f"{_Q}note", {"from": "translator"}).text = comment
        for location in message.locations:
            path, _, line = location.rpartition(":")
            group = ET.SubElement(unit, f"{_Q}context-group", purpose="location")
            ET.SubElement(group, f"{_Q}context", {"context-type": "sourcefile"}).text = path
            ET.SubElement(group, f"{_Q}context", {"context-type": "linenumber"}).text = line
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def _state(message: Message) -> str:
    if message.translated:
        return "translated"
    return "needs-review-translation" if message.string else "new"


def import_(
    data: bytes, path: Path, catalogs: dict[str, Catalog], lang: str | None = None
) -> tuple[str, Catalog, int]:
    """(language, the catalog with the file's translations, how many changed).

    `catalogs` are the current catalogs by language; `lang`, when given, is the language the
    file must be for. Every problem of the file is reported together; nothing is changed
    then.
    """
    text = data.decode("utf-8", errors="replace")

    def at(needle: str) -> Location:
        offset = text.find(needle)
        return Location(str(path), text.count("\n", 0, offset) + 1 if offset >= 0 else 0)

    try:
        root = SafeET.fromstring(data)
    except (ET.ParseError, DefusedXmlException) as error:
        line = getattr(error, "position", (0, 0))[0]
        raise BrochureError(
            [Problem(Location(str(path), line), "", "bad-xliff", f"not valid XLIFF: {error}")]
        ) from None
    if root.tag != f"{_Q}xliff" or root.get("version") != "1.2":
        raise BrochureError(
            [Problem(at("<xliff"), "", "bad-xliff", "expected an XLIFF 1.2 document")]
        )
    targets = {f.get("target-language") for f in root.iter(f"{_Q}file")}
    problems: list[Problem] = []
    if len(targets) != 1 or None in targets:
        raise BrochureError(
            [
                Problem(
                    at("<file"),
                    "target-language",
                    "bad-xliff",
                    "expected one target-language on every <file>",
                )
            ]
        )
    (found,) = targets
    language = found.replace("_", "-")
    if lang is not None and language != lang:
        problems.append(
            Problem(
                at("target-language"),
                "target-language",
                "wrong-language",
                f"this file is for {found!r}, not {lang!r}",
            )
        )
    if language not in catalogs:
        problems.append(
            Problem(
                at("target-language"),
                "target-language",
                "wrong-language",
                f"{found!r} is not one of the brochure's languages ({', '.join(sorted(catalogs))})",
            )
        )
    if problems:
        raise BrochureError(problems)
    catalog = catalogs[language]
    by_id = {unit_id(m): i for i, m in enumerate(catalog.messages) if not m.obsolete and m.id}
    messages = list(catalog.messages)
    changed = 0
    for unit in root.iter(f"{_Q}trans-unit"):
        uid = unit.get("id", "")
        where = at(f'id="{uid}"')
        if uid not in by_id:
            problems.append(
                Problem(
                    where,
                    uid,
                    "unknown-unit",
                    "no message of the catalog has this id; export the file again",
                )
            )
            continue
        index = by_id[uid]
        message = messages[index]
        source = _text(unit.find(f"{_Q}source"))
        if source != message.id:
            problems.append(
                Problem(
                    where,
                    uid,
                    "changed-source",
                    "the English of this unit is not the catalog's; export the file again",
                )
            )
            continue
        target = unit.find(f"{_Q}target")
        string = _text(target)
        state = target.get("state", "") if target is not None else ""
        done = bool(string) and (state in _DONE or unit.get("approved") == "yes")
        if string == message.string and done == message.translated:
            continue  # untouched: the message stays exactly as it was
        updated = replace(message, string=string).with_flag("fuzzy", bool(string) and not done)
        if done:
            updated = replace(updated, previous_id=None, previous_context=None)
        messages[index] = updated
        changed += 1
    if problems:
        raise BrochureError(problems)
    return language, replace(catalog, messages=messages), changed


def _text(element: ET.Element | None) -> str:
    """The text of a <source> or <target>, inline markup (<g>, <x/>) flattened."""
    return "".join(element.itertext()) if element is not None else ""
