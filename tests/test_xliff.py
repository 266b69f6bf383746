"""XLIFF for CAT tools: a round trip changes exactly what the translator edited.

Also the way a catalog goes wrong in a CAT tool that does not know msgctxt (translate-toolkit's
po2xliff/xliff2po drops it): `check` says so, and `i18n update` gives every translation back.
"""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from translate.storage import xliff as ttk_xliff

from brochure import cli, i18n
from brochure.i18n.xliff import NS

from .conftest import CONTENT

Q = f"{{{NS}}}"


def _export(copy, lang="fr") -> Path:
    out = copy.out / f"{lang}.xlf"
    args = ["i18n", "export", str(out), "--lang", lang, "-q", *copy.options()]
    assert cli.main(args) == 0
    return out


def _import(copy, path: Path, *extra: str) -> int:
    return cli.main(["i18n", "import", str(path), "-q", *extra, *copy.options()])


def test_an_untouched_round_trip_changes_nothing(sample_copy):
    po = sample_copy.content / "locales" / "fr.po"
    before = po.read_bytes()
    assert _import(sample_copy, _export(sample_copy)) == 0
    assert po.read_bytes() == before


def test_a_round_trip_changes_exactly_the_edited_translations(sample_copy):
    po = sample_copy.content / "locales" / "fr.po"
    before = po.read_text().splitlines()
    path = _export(sample_copy)
    tree = ET.parse(path)
    units = [u for u in tree.iter(f"{Q}trans-unit") if u.get("resname") == "kisumu"]
    edited = {}
    for unit in units[3:5]:
        target = unit.find(f"{Q}target")
        target.text = target.text + " (révisé)"
        edited[unit.find(f"{Q}source").text] = target.text
    tree.write(path, encoding="utf-8", xml_declaration=True)
    assert _import(sample_copy, path) == 0
    after = po.read_text().splitlines()
    changed = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert len(changed) == 2
    catalog = i18n.read_catalog(po)
    for english, french in edited.items():
        assert catalog.find("kisumu", english).string == french


def test_a_fuzzy_translation_travels_with_its_previous_english_and_comes_back_reviewed(
    sample_copy,
):
    sample_copy.edit("case-studies/kisumu.md", "Until 2017 the hours", "Until 2016 the hours")
    assert cli.main(["i18n", "update", "-q", *sample_copy.options()]) == 0
    path = _export(sample_copy)
    tree = ET.parse(path)
    (unit,) = [
        u
        for u in tree.iter(f"{Q}trans-unit")
        if u.find(f"{Q}target").get("state") == "needs-review-translation"
    ]
    assert "2017" in unit.find(f"{Q}alt-trans/{Q}source").text
    assert "2016" in unit.find(f"{Q}source").text
    target = unit.find(f"{Q}target")
    target.text = target.text.replace("2017", "2016")
    target.set("state", "translated")
    tree.write(path, encoding="utf-8", xml_declaration=True)
    assert _import(sample_copy, path) == 0
    catalog = i18n.read_catalog(sample_copy.content / "locales" / "fr.po")
    assert not any(m.fuzzy for m in catalog.active)
    reviewed = next(m for m in catalog.active if "Until 2016" in m.id)
    assert "2016" in reviewed.string
    assert reviewed.previous_id is None


def test_an_import_for_the_wrong_language_or_with_unknown_units_is_refused(sample_copy, capsys):
    po = sample_copy.content / "locales" / "fr.po"
    before = po.read_bytes()
    path = _export(sample_copy)
    assert _import(sample_copy, path, "--lang", "es") == 1
    assert "this file is for 'fr', not 'es'" in capsys.readouterr().err
    text = path.read_text()
    first = text.index('id="kisumu.')
    path.write_text(text[: first + 4] + "kisumu.000000000000" + text[first + 23 :])
    assert _import(sample_copy, path) == 1
    err = capsys.readouterr().err
    line = text[:first].count("\n") + 1
    assert f"fr.xlf:{line}: kisumu.000000000000: no message of the catalog has this id" in err
    assert "Traceback" not in err
    assert po.read_bytes() == before


def test_a_hostile_xliff_is_refused_without_expanding_anything(sample_copy, capsys):
    path = sample_copy.out / "bomb.xlf"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>\n'
        f'<xliff xmlns="{NS}" version="1.2"><file target-language="fr">&b;</file></xliff>\n'
    )
    assert _import(sample_copy, path) == 1
    err = capsys.readouterr().err
    assert "not valid XLIFF" in err
    assert "Traceback" not in err


def test_translate_toolkit_reads_the_export(sample_copy):
    """A second, independent reader of XLIFF 1.2 (the one Weblate and Pootle use)."""
    path = _export(sample_copy)
    store = ttk_xliff.xlifffile.parsefile(str(path))
    units = [u for u in store.units if u.source]
    catalog = i18n.read_catalog(CONTENT / "locales" / "fr.po")
    assert len(units) == len([m for m in catalog.active if m.id])
    unit = next(u for u in units if u.getid().split("\x04")[-1].startswith("kisumu."))
    message = catalog.find("kisumu", unit.source)
    assert unit.target == message.string
    assert unit.istranslated()
    assert "Case study" in unit.getnotes("developer")


def test_a_catalog_that_lost_its_contexts_is_caught_and_repaired(sample_copy, capsys):
    """po2xliff then xliff2po, as a CAT-tool workflow without our export does."""
    po = sample_copy.content / "locales" / "fr.po"
    tools = Path(sys.executable).parent
    xlf = sample_copy.out / "ttk.xlf"
    xlf.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([tools / "po2xliff", "-i", po, "-o", xlf], check=True, capture_output=True)
    subprocess.run([tools / "xliff2po", "-i", xlf, "-o", po], check=True, capture_output=True)
    assert cli.main(["check", "--quick", "--format", "json", *sample_copy.options()]) == 0
    warnings = json.loads(capsys.readouterr().out)["warnings"]
    (lost,) = [w for w in warnings if w["kind"] == "dropped-contexts"]
    assert lost["path"].endswith("fr.po")
    assert "i18n update" in lost["message"]
    strict = ["build", "--lang", "fr", "--strict", *sample_copy.options()]
    assert cli.main(strict) == 1  # the French edition would be mostly English
    capsys.readouterr()
    assert cli.main(["i18n", "update", "--lang", "fr", *sample_copy.options()]) == 0
    assert "fr.po: 0 new, 0 changed (now fuzzy)" in capsys.readouterr().err
    repaired = i18n.read_catalog(po)
    shipped = i18n.read_catalog(CONTENT / "locales" / "fr.po")
    assert {(m.key, m.string) for m in repaired.active} == {
        (m.key, m.string) for m in shipped.active
    }
