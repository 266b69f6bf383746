"""i18n: segments become gettext messages; the translator's cycle keeps work and flags changes."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from brochure import cli, content, i18n
from brochure.errors import BrochureError

from .conftest import CONTENT, ROOT

PROJECT = ROOT

PARAGRAPH = "Until 2017 the hours of darkness were the most dangerous part of the working day."


def _translate_everything(po_path, lang):
    """Stand in for a translator: every message gets a marked translation."""
    with po_path.open("rb") as file:
        catalog = read_po(file, locale=lang)
    for message in catalog:
        if message.id:
            message.string = f"[{lang}] {message.id}"
    i18n.write_catalog(po_path, catalog)


def _messages(po_path, lang):
    return {m.context: m for m in i18n.read_catalog(po_path, lang) if m.id}


def test_every_segment_has_a_stable_context_a_reference_and_a_comment():
    brochure = content.load(CONTENT)
    entries = i18n.entries(brochure)
    contexts = [e.context for e in entries]
    assert len(contexts) == len(set(contexts))
    by_context = {e.context: e for e in entries}
    title = by_context["kisumu:title"]
    assert title.where.path.endswith("case-studies/kisumu.md")
    assert title.comment.startswith("Case study: ")
    alt = by_context["kisumu:image.alt"]
    assert alt.text == next(s for s in brochure.case_studies if s.id == "kisumu").image.alt
    body = [e for e in entries if e.context.startswith("kisumu:body.s3.")]
    assert body[0].text == "Results"
    assert "Results" in body[1].comment
    # Ids, codes, numbers and file names are not for translators.
    assert not any(e.context.endswith((".src", ".country", ":id")) for e in entries)


def test_the_cycle_extract_translate_edit_update(sample_copy):
    locales = sample_copy.content / "locales"
    assert cli.main(["i18n", "update", "-q", "--content", str(sample_copy.content)]) == 0
    for lang in ("fr", "es"):
        _translate_everything(locales / f"{lang}.po", lang)
    before = {lang: _messages(locales / f"{lang}.po", lang) for lang in ("fr", "es")}

    sample_copy.edit("case-studies/kisumu.md", PARAGRAPH, PARAGRAPH.replace("2017", "2016"))
    assert cli.main(["i18n", "update", "-q", "--content", str(sample_copy.content)]) == 0

    for lang in ("fr", "es"):
        after = _messages(locales / f"{lang}.po", lang)
        fuzzy = [m for m in after.values() if m.fuzzy]
        assert len(fuzzy) == 1, [m.context for m in fuzzy]
        (changed,) = fuzzy
        assert changed.context.startswith("kisumu:body.")
        assert "2016" in changed.id
        assert "2017" in changed.previous_id[0]  # the translator sees the old English
        assert changed.string == before[lang][changed.context].string  # their work is kept
        assert all(m.string == before[lang][m.context].string for m in after.values())


def test_removed_segments_become_obsolete_and_new_ones_untranslated(sample_copy):
    locales = sample_copy.content / "locales"
    cli.main(["i18n", "update", "-q", "--content", str(sample_copy.content)])
    _translate_everything(locales / "fr.po", "fr")
    sample_copy.edit("case-studies/kisumu.md", "quote:\n  text: ", "quote:\n  text: New. ")
    sample_copy.edit("foreword.md", "byline: ", "byline: ")
    text = sample_copy.read("acknowledgements.md")
    sample_copy.write("acknowledgements.md", text + "\nA brand new closing paragraph.\n")
    cli.main(["i18n", "update", "-q", "--content", str(sample_copy.content)])
    po = (locales / "fr.po").read_text()
    assert 'msgid "A brand new closing paragraph."\nmsgstr ""' in po
    assert '#| msgid "' in po


def test_translations_never_move_between_contexts(sample_copy):
    """The same English in two places may be translated differently; an edit never swaps them."""
    locales = sample_copy.content / "locales"
    cli.main(["i18n", "update", "-q", "--content", str(sample_copy.content)])
    po = locales / "fr.po"
    with po.open("rb") as file:
        catalog = read_po(file, locale="fr")
    for message in catalog:
        if message.id:
            message.string = f"{message.context} FR"
    i18n.write_catalog(po, catalog)
    cli.main(["i18n", "update", "-q", "--content", str(sample_copy.content)])
    assert all(m.string == f"{m.context} FR" for m in _messages(po, "fr").values())


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="gettext's msgfmt is not installed")
def test_the_shipped_catalogs_pass_msgfmt_check():
    for lang in ("fr", "es", "pt"):
        path = CONTENT / "locales" / f"{lang}.po"
        result = subprocess.run(
            ["msgfmt", "--check", "-o", "/dev/null", str(path)], capture_output=True, text=True
        )
        assert result.returncode == 0, result.stderr


def test_the_shipped_catalogs_are_up_to_date_with_the_sources():
    brochure = content.load(CONTENT)
    segments = i18n.entries(brochure) + i18n.template_entries(PROJECT / "templates")
    keys = {i18n.message_key(e) for e in segments}
    for lang in ("fr", "es", "pt"):
        catalog = i18n.read_catalog(CONTENT / "locales" / f"{lang}.po", lang)
        assert {i18n.message_key(m) for m in catalog if m.id} == keys, lang


def test_status_counts_segments_and_words(sample_copy, capsys):
    locales = sample_copy.content / "locales"
    cli.main(["i18n", "update", "-q", "--content", str(sample_copy.content)])
    _translate_everything(locales / "es.po", "es")
    assert cli.main(["i18n", "status", "--json", "--content", str(sample_copy.content)]) == 0
    import json

    report = json.loads(capsys.readouterr().out)
    assert report["es"]["percent"] == 100.0
    kisumu = next(v for k, v in report["es"]["files"].items() if k.endswith("kisumu.md"))
    assert kisumu["untranslated"] == 0
    assert kisumu["translated"] > 10


def test_localize_replaces_text_and_falls_back_to_english():
    brochure = content.load(CONTENT)
    catalog = Catalog(locale="fr")
    catalog.add("x", "Des marchés plus sûrs et mieux éclairés", context="kisumu:title")
    catalog.add("Context", "Contexte", context="kisumu:body.s1.1")
    catalog.add("Results", "Résultats", context="kisumu:body.s3.1", flags=["fuzzy"])
    catalog.add("Partners", "Partenaires")
    french, fallbacks = i18n.localize(brochure, catalog, "fr")
    kisumu = next(s for s in french.case_studies if s.id == "kisumu")
    assert french.lang == "fr"
    assert kisumu.title == "Des marchés plus sûrs et mieux éclairés"
    assert kisumu.translations == {"s1.1": "Contexte"}  # the fuzzy one falls back
    assert french.interface == {"Partners": "Partenaires"}
    missing = {e.context for e in fallbacks}
    assert "kisumu:title" not in missing
    assert "kisumu:body.s3.1" in missing
    # The English model is untouched for the next language.
    assert next(s for s in brochure.case_studies if s.id == "kisumu").title.startswith("Safer")


def test_a_malformed_catalog_names_the_file_and_line(sample_copy):
    sample_copy.write("locales/fr.po", 'msgid "a"\nmsgstr "b"\nmsgid\n')
    with pytest.raises(BrochureError) as caught:
        i18n.read_catalog(sample_copy.content / "locales" / "fr.po", "fr")
    (problem,) = caught.value.problems
    assert problem.where.path.endswith("fr.po")
    assert problem.where.line == 3


@pytest.mark.parametrize(
    ("english", "translation", "kind"),
    [
        ("See [the audit](#safety-audit).", "Voir [l'audit](#safety-audt).", "changed-link"),
        ("A note[^1] here.", "Une note ici.", "changed-footnote"),
        ("**Walk first.** Then build.", "**Marcher d'abord. Puis construire.", "unbalanced-markup"),
        ("1,200 traders and 45 per cent", "des commerçantes et 45 %", "missing-number"),
        ("Part %(number)s", "Partie %(numero)s", "changed-placeholder"),
        ("Plain text.", "Texte ✈ simple.", "missing-glyph"),
    ],
)
def test_a_translation_that_breaks_its_segment_is_refused(tmp_path, english, translation, kind):
    from brochure import fonts
    from brochure.markdown import Markdown

    catalog = Catalog(locale="fr")
    catalog.add(english, translation, context="x:body.s1.1")
    path = tmp_path / "fr.po"
    i18n.write_catalog(path, catalog)
    catalog = i18n.read_catalog(path, "fr")
    points = fonts.coverage(PROJECT / "assets" / "fonts")
    problems = i18n.check(catalog, path, points, Markdown("fr"))
    assert [p.kind for p in problems] == [kind]
    assert problems[0].where.path == str(path)
    line = path.read_text().splitlines()[problems[0].where.line - 1]
    assert line.startswith("msgstr")


def test_numbers_may_follow_the_language_separators(tmp_path):
    from brochure import fonts
    from brochure.markdown import Markdown

    catalog = Catalog(locale="fr")
    catalog.add("1,200 traders, 37.5 hours", "1 200 commerçantes, 37,5 heures", context="x:b")
    points = fonts.coverage(PROJECT / "assets" / "fonts")
    assert i18n.check(catalog, tmp_path / "fr.po", points, Markdown("fr")) == []


def test_a_draft_marks_untranslated_fields():
    brochure = content.load(CONTENT)
    catalog = Catalog(locale="pt")
    catalog.add("x", "Mercados mais seguros", context="kisumu:title")
    draft, _ = i18n.localize(brochure, catalog, "pt", mark_untranslated=True)
    kisumu = next(s for s in draft.case_studies if s.id == "kisumu")
    assert kisumu.title == "Mercados mais seguros"
    assert kisumu.quote.attribution.startswith("[en] ")
    assert draft.title.startswith("[en] ")
