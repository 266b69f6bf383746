"""i18n: segments are matched by their English; translators' work survives every ordinary edit.

The eight edits of a translator's life (a fixed word, a new or deleted paragraph, two swapped,
a sentence moved, a new section, a renamed case study, a re-wrapped paragraph) each give the
counts GNU msgmerge would, on the real French and Spanish catalogs.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from brochure import cli, content, i18n, render
from brochure.i18n import Catalog, Message

from .conftest import CONTENT, ROOT

LANGS = ("fr", "es")
DARK = "Until 2017 the hours of darkness were the most dangerous part of the working day."
MOVED = (
    " Many arrive at five in the morning to meet the boats and the lorries, and pack up after "
    "seven in the evening, once the last customers on their way home from work have passed."
)


def _update(copy) -> None:
    assert cli.main(["i18n", "update", "-q", "--content", str(copy.content)]) == 0


def _catalog(folder, lang: str) -> Catalog:
    return i18n.read_catalog(folder / "locales" / f"{lang}.po")


def _tally(copy, lang: str) -> dict[str, int]:
    """What `i18n update` did to a complete catalog: new, fuzzy and obsolete messages; and
    that no translation was attached to another English without the fuzzy flag."""
    before = _catalog(CONTENT, lang)
    after = _catalog(copy.content, lang)
    translations: dict[str, set[str]] = {}
    for message in before.active:
        translations.setdefault(message.id, set()).add(message.string)
    for message in after.active:
        if message.string and not message.fuzzy:
            assert message.string in translations[message.id], message.id
        if message.fuzzy:
            assert message.string in translations[message.previous_id]
    return {
        "new": sum(1 for m in after.active if not m.string),
        "fuzzy": sum(m.fuzzy for m in after.active),
        "obsolete": sum(m.obsolete for m in after.messages)
        - sum(m.obsolete for m in before.messages),
    }


def _one_word(copy):
    copy.edit("case-studies/kisumu.md", "Until 2017 the hours", "Until 2016 the hours")


def _new_paragraph(copy):
    copy.edit(
        "case-studies/kisumu.md",
        "## Approach\n\n",
        "## Approach\n\nA paragraph added after the translators had finished their work.\n\n",
    )


def _deleted_paragraph(copy):
    text = copy.read("case-studies/kisumu.md")
    paragraph = next(p for p in text.split("\n\n") if p.startswith(DARK))
    copy.edit("case-studies/kisumu.md", paragraph + "\n\n", "")


def _swapped(copy):
    text = copy.read("case-studies/kisumu.md")
    first, second = (p for p in text.split("## Context\n\n")[1].split("\n\n")[:2])
    copy.edit("case-studies/kisumu.md", f"{first}\n\n{second}", f"{second}\n\n{first}")


def _sentence_moved(copy):
    copy.edit("case-studies/kisumu.md", MOVED + "\n\n" + DARK, "\n\n" + MOVED.strip() + " " + DARK)


def _new_section(copy):
    copy.edit(
        "guidelines/project-cycle.md",
        "## Design:",
        "## Monitoring together\n\nPartners agree early on who will collect which figures, and "
        "how often they will look at them together.\n\n## Design:",
    )


def _renamed(copy):
    old = copy.content / "case-studies" / "kisumu.md"
    text = old.read_text().replace("id: kisumu\n", "id: kisumu-markets\n")
    old.unlink()
    copy.write("case-studies/kisumu-markets.md", text)
    copy.edit("brochure.yaml", "case-studies/kisumu.md", "case-studies/kisumu-markets.md")


def _rewrapped(copy):
    text = copy.read("case-studies/kisumu.md")
    paragraph = next(p for p in text.split("\n\n") if p.startswith(DARK))
    wrapped = re.sub(r"(.{60,72}?) ", "\\1\n", paragraph)
    assert wrapped.count("\n") > 3
    copy.edit("case-studies/kisumu.md", paragraph, wrapped)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (_one_word, {"new": 0, "fuzzy": 1, "obsolete": 0}),
        (_new_paragraph, {"new": 1, "fuzzy": 0, "obsolete": 0}),
        (_deleted_paragraph, {"new": 0, "fuzzy": 0, "obsolete": 1}),
        (_swapped, {"new": 0, "fuzzy": 0, "obsolete": 0}),
        (_sentence_moved, {"new": 0, "fuzzy": 2, "obsolete": 0}),
        (_new_section, {"new": 2, "fuzzy": 0, "obsolete": 0}),
        (_renamed, {"new": 0, "fuzzy": 0, "obsolete": 0}),
        (_rewrapped, {"new": 0, "fuzzy": 0, "obsolete": 0}),
    ],
    ids=lambda v: getattr(v, "__name__", "").strip("_") or None,
)
def test_an_edit_of_the_english_reopens_only_what_changed(sample_copy, edit, expected):
    edit(sample_copy)
    _update(sample_copy)
    for lang in LANGS:
        assert _tally(sample_copy, lang) == expected, lang


def test_a_changed_paragraph_is_fuzzy_with_the_english_the_translator_saw(sample_copy):
    _one_word(sample_copy)
    _update(sample_copy)
    (changed,) = [m for m in _catalog(sample_copy.content, "fr").active if m.fuzzy]
    assert changed.context == "kisumu"
    assert "2016" in changed.id
    assert "2017" in changed.previous_id
    # A second edit before the translator's review keeps the English they last translated.
    sample_copy.edit("case-studies/kisumu.md", "Until 2016 the hours", "Until 2015 the hours")
    _update(sample_copy)
    (changed,) = [m for m in _catalog(sample_copy.content, "fr").active if m.fuzzy]
    assert "2015" in changed.id
    assert "2017" in changed.previous_id


def test_an_update_with_nothing_changed_rewrites_nothing(sample_copy):
    before = {p.name: p.read_bytes() for p in (sample_copy.content / "locales").iterdir()}
    _update(sample_copy)
    after = {p.name: p.read_bytes() for p in (sample_copy.content / "locales").iterdir()}
    assert after == before


def test_the_shipped_catalogs_are_up_to_date_with_the_sources():
    brochure = content.load(CONTENT)
    segments = i18n.entries(brochure) + i18n.template_entries(ROOT / "templates")
    keys = {e.key for e in segments}
    for lang in ("fr", "es", "pt", "ar"):
        catalog = _catalog(CONTENT, lang)
        assert {m.key for m in catalog.active} == keys, lang
        assert not any(m.obsolete for m in catalog.messages)


def test_every_segment_is_identified_by_its_document_and_its_english():
    brochure = content.load(CONTENT)
    segments = i18n.entries(brochure)
    kisumu = [e for e in segments if e.context == "kisumu"]
    assert {e.where.path.rsplit("/", 1)[-1] for e in kisumu} == {"kisumu.md"}
    title = next(e for e in kisumu if e.slot == "title")
    assert title.comment.startswith("Case study: ")
    assert next(e for e in kisumu if e.slot == "body.s3.1").text == "Results"
    # Line breaks of the source undone; a hard break (backslash, as in the announcement's
    # sign-off) is the author's and stays.
    assert all("\n" not in e.text.replace("\\\n", "") for e in segments)
    assert {e.context for e in segments if e.where.path.endswith("brochure.yaml")} == {"brochure"}
    # Ids, codes, numbers and file names are not for translators.
    assert not any(e.slot.endswith((".src", ".country")) or e.slot == "id" for e in segments)


# --- A stale catalog never prints a mismatched translation ---------------------------------


def _french_html(copy) -> str:
    """The French edition rendered to HTML (no typesetting: fast) from the copy as it is."""
    brochure = content.load(copy.content)
    catalog = _catalog(copy.content, "fr")
    templates = i18n.template_entries(ROOT / "templates")
    french = i18n.localize(brochure, catalog, "fr", templates).brochure
    env = render.environment(ROOT / "templates", "fr", french.interface)
    options = {"stylesheets": [], "content_url": copy.content.resolve().as_uri()}
    return render.render(french, env, options)


def _french(english: str) -> str:
    """The French of the paragraph that starts with `english`, in the shipped catalog."""
    return next(m.string for m in _catalog(CONTENT, "fr").active if m.id.startswith(english))


def _printed(html: str, french: str) -> int:
    words = french.split()[:6]
    pattern = r"\s+".join(re.escape(w).replace("'", "['’]") for w in words)
    return len(re.findall(pattern, html))


def test_a_deleted_paragraph_is_not_printed_and_its_neighbours_keep_their_translation(
    sample_copy,
):
    text = sample_copy.read("case-studies/kisumu.md")
    paragraphs = text.split("## Context\n\n")[1].split("\n\n")
    _deleted_paragraph(sample_copy)
    html = _french_html(sample_copy)
    assert _printed(html, _french(DARK)) == 0
    assert _printed(html, _french(i18n.normalize(paragraphs[0]))) == 1


def test_an_inserted_paragraph_is_printed_in_english_and_strict_refuses_it(sample_copy, capsys):
    _new_paragraph(sample_copy)
    html = _french_html(sample_copy)
    assert html.count("A paragraph added after the translators had finished their work.") == 1
    approach = next(
        p
        for p in sample_copy.read("case-studies/kisumu.md").split("\n\n")
        if p.startswith("The County Government of Kisumu")
    )
    assert _printed(html, _french(i18n.normalize(approach))) == 1
    code = cli.main(["build", "--lang", "fr", "--strict", *sample_copy.options()])
    err = capsys.readouterr().err
    assert code == 1
    assert "not in fr.po: the English at" in err
    assert "kisumu.md" in err


def test_a_changed_paragraph_is_stale_named_at_its_po_line_and_strict_fails(sample_copy, capsys):
    _one_word(sample_copy)
    html = _french_html(sample_copy)
    assert _printed(html, _french(DARK)) == 0  # the translation of the old English is not used
    assert "Until 2016 the hours of darkness" in html
    po = (sample_copy.content / "locales" / "fr.po").read_text().splitlines()
    line = next(i for i, text in enumerate(po, 1) if text.startswith(f'msgid "{DARK[:40]}'))
    code = cli.main(["build", "--lang", "fr", "--strict", *sample_copy.options()])
    err = capsys.readouterr().err
    assert code == 1
    assert f"locales/fr.po:{line + 1}: kisumu: stale: this translation is of an older" in err


def test_status_check_and_build_agree_on_a_stale_segment(sample_copy, capsys):
    _one_word(sample_copy)
    assert cli.main(["i18n", "status", "--json", "--lang", "fr", *sample_copy.options()]) == 0
    report = json.loads(capsys.readouterr().out)
    kisumu = next(v for k, v in report["fr"]["files"].items() if k.endswith("kisumu.md"))
    assert (kisumu["stale"], kisumu["fuzzy"], kisumu["untranslated"]) == (1, 0, 0)
    assert cli.main(["check", "--quick", "--format", "json", *sample_copy.options()]) == 0
    warnings = json.loads(capsys.readouterr().out)["warnings"]
    fr = next(w for w in warnings if w["path"].endswith("fr.po") and w["kind"] == "fallback")
    assert "1 stale" in fr["message"]


# --- Header, wrapping, and what gettext's tools would refuse --------------------------------


def test_update_keeps_the_translators_header_and_dates_the_template_only_when_it_changed(
    sample_copy,
):
    po = sample_copy.content / "locales" / "fr.po"
    header = {
        "Last-Translator": "Camille Martin <camille@example.org>",
        "Language-Team": "French <https://weblate.example.org/fr/>",
        "PO-Revision-Date": "2021-05-30 17:12+0200",
        "X-Generator": "Poedit 3.4.2",
    }
    i18n.write_catalog(
        po,
        _catalog(sample_copy.content, "fr").with_header_fields(
            **{k.replace("-", "_"): v for k, v in header.items()}
        ),
    )
    pot = sample_copy.content / "locales" / "brochure.pot"
    created = "2021-06-01 09:00+0000"
    i18n.write_catalog(pot, i18n.read_catalog(pot).with_header_fields(POT_Creation_Date=created))
    _update(sample_copy)
    assert i18n.read_catalog(pot).header_field("POT-Creation-Date") == created
    _one_word(sample_copy)
    _update(sample_copy)
    catalog = _catalog(sample_copy.content, "fr")
    assert all(catalog.header_field(name) == value for name, value in header.items())
    assert catalog.header_field("POT-Creation-Date") != created
    assert catalog.header_field("POT-Creation-Date") == i18n.read_catalog(pot).header_field(
        "POT-Creation-Date"
    )


@pytest.mark.skipif(shutil.which("msgcat") is None, reason="gettext's msgcat is not installed")
def test_catalogs_are_written_as_gettext_writes_them(sample_copy, tmp_path):
    """Unwrapped as `msgcat --no-wrap` writes them; a file saved wrapped at 79 columns (Poedit,
    msgmerge) keeps its wrapping through an update, and new text is wrapped the same way."""
    for lang in ("fr", "es", "pt", "ar"):
        path = CONTENT / "locales" / f"{lang}.po"
        result = subprocess.run(["msgcat", "--no-wrap", str(path)], capture_output=True, check=True)
        assert result.stdout == path.read_bytes(), lang
    po = sample_copy.content / "locales" / "fr.po"
    subprocess.run(["msgcat", "--width=79", "-o", str(po), str(po)], check=True)
    wrapped = po.read_bytes()
    _update(sample_copy)
    assert po.read_bytes() == wrapped  # no churn
    _one_word(sample_copy)
    _update(sample_copy)
    again = subprocess.run(["msgcat", "--width=79", str(po)], capture_output=True, check=True)
    assert again.stdout == po.read_bytes()


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="gettext's msgfmt is not installed")
def test_the_shipped_catalogs_pass_msgfmt_check():
    for lang in ("fr", "es", "pt", "ar"):
        path = CONTENT / "locales" / f"{lang}.po"
        result = subprocess.run(
            ["msgfmt", "--check", "-o", "/dev/null", str(path)], capture_output=True, text=True
        )
        assert result.returncode == 0, result.stderr


def _po(header: str = "", body: str = "") -> bytes:
    lines = [
        'msgid ""',
        'msgstr ""',
        '"Language: fr\\n"',
        '"Content-Type: text/plain; charset=UTF-8\\n"',
        '"Plural-Forms: nplurals=2; plural=(n > 1);\\n"',
    ]
    return ("\n".join(lines) + header + "\n\n" + body).encode("utf-8")


def _problems(tmp_path, data: bytes, lang: str = "fr"):
    from brochure import fonts
    from brochure.markdown import Markdown

    path = tmp_path / f"{lang}.po"
    path.write_bytes(data)
    try:
        catalog = i18n.read_catalog(path)
    except i18n.pofile.BrochureError as error:
        return list(error.problems)
    points = fonts.coverage(ROOT / "assets" / "fonts")
    return i18n.check(catalog, path, lang, points, Markdown(lang))


def test_a_duplicate_message_is_refused_with_both_lines(tmp_path):
    body = 'msgctxt "kisumu"\nmsgid "Context"\nmsgstr "Contexte"\n\n'
    (problem,) = _problems(tmp_path, _po(body=body + body))
    assert (problem.kind, problem.where.line) == ("duplicate-message", 11)
    assert "already defined at line 7" in problem.message


def test_bytes_that_are_not_utf8_are_located_like_msgfmt_does(tmp_path):
    data = _po(body='msgid "Context"\nmsgstr "Contexte g\xe9n\xe9ral"\n'.replace("\xe9", "@"))
    data = data.replace(b"@", b"\xe9", 1)
    (problem,) = _problems(tmp_path, data)
    assert (problem.kind, problem.where.line) == ("not-utf8", 8)
    assert "column 19" in problem.message


def test_a_declared_charset_that_does_not_match_the_bytes_is_refused(tmp_path):
    data = _po(body='msgid "Context"\nmsgstr "Contexte général"\n').replace(b"UTF-8", b"ISO-8859-1")
    (problem,) = _problems(tmp_path, data)
    assert (problem.kind, problem.where.line) == ("wrong-charset", 4)
    legacy = _po(body='msgid "Context"\nmsgstr "Contexte général"\n').replace(b"UTF-8", b"latin-1")
    legacy = legacy.decode("utf-8").encode("latin-1")
    assert _problems(tmp_path, legacy) == []  # a true legacy charset is read as declared


def test_a_header_that_does_not_describe_the_file_is_refused(tmp_path):
    wrong = _po().replace(b"Language: fr", b"Language: es")
    assert [(p.kind, p.where.line) for p in _problems(tmp_path, wrong)] == [("wrong-language", 3)]
    plural = _po().replace(b"(n > 1)", b"(n != 1)")
    (problem,) = _problems(tmp_path, plural)
    assert (problem.kind, problem.where.line) == ("wrong-plural-forms", 5)
    assert "nplurals=2; plural=(n > 1);" in problem.message


def test_a_plural_entry_is_read_and_checked_not_crashed_on(tmp_path):
    body = (
        'msgid "%(count)s case study"\nmsgid_plural "%(count)s case studies"\n'
        'msgstr[0] "%(count)s étude de cas"\nmsgstr[1] "%(count)s études de cas"\n'
    )
    assert _problems(tmp_path, _po(body=body)) == []
    one_form = body.replace('msgstr[1] "%(count)s études de cas"\n', "")
    assert [p.kind for p in _problems(tmp_path, _po(body=one_form))] == ["plural-count"]


@pytest.mark.parametrize(
    ("english", "translation", "kind"),
    [
        ("See [the audit](#safety-audit).", "Voir [l'audit](#safety-audt).", "changed-link"),
        ("See [the audit](#safety-audit).", "Voir [ici](evil.example/page).", "changed-link"),
        ("See the audit.", "Voir <https://evil.example/page>.", "changed-link"),
        ("See the audit.", "Voir l'audit ![x](images/kisumu.svg).", "changed-link"),
        ("See the audit.", "Voir <b>l'audit</b>.", "raw-html"),
        ("A note[^1] here.", "Une note ici.", "changed-footnote"),
        ("**Walk first.** Then build.", "**Marcher d'abord. Puis construire.", "unbalanced-markup"),
        ("1,200 traders and 45 per cent", "des commerçantes et 45 %", "missing-number"),
        ("Plain text.", "Texte ✈ simple.", "missing-glyph"),
    ],
)
def test_a_translation_that_breaks_its_segment_is_refused(tmp_path, english, translation, kind):
    catalog = Catalog(messages=[Message(english, translation, context="kisumu")])
    i18n.write_catalog(tmp_path / "fr.po", catalog)
    problems = _problems(tmp_path, (tmp_path / "fr.po").read_bytes())
    assert [p.kind for p in problems] == [kind]
    line = (tmp_path / "fr.po").read_text().splitlines()[problems[0].where.line - 1]
    assert line.startswith("msgstr")


def test_a_template_placeholder_must_survive(tmp_path):
    catalog = Catalog(messages=[Message("Part %(number)s", "Partie %(numero)s")])
    i18n.write_catalog(tmp_path / "fr.po", catalog)
    problems = _problems(tmp_path, (tmp_path / "fr.po").read_bytes())
    assert [p.kind for p in problems] == ["changed-placeholder"]


def test_numbers_may_follow_the_language_separators(tmp_path):
    catalog = Catalog(
        messages=[
            Message(
                "1,200 traders, 37.5 hours", "1 200 commerçantes, 37,5 heures", context="kisumu"
            )
        ]
    )
    i18n.write_catalog(tmp_path / "fr.po", catalog)
    assert _problems(tmp_path, (tmp_path / "fr.po").read_bytes()) == []


def test_a_percent_sign_in_a_template_translation_is_printed(sample_copy):
    po = sample_copy.content / "locales" / "fr.po"
    catalog = _catalog(sample_copy.content, "fr")
    catalog.messages = [
        Message(m.id, "Sommaire à 100 %", flags=m.flags) if m.id == "Contents" else m
        for m in catalog.messages
    ]
    i18n.write_catalog(po, catalog)
    assert "Sommaire à 100" in _french_html(sample_copy)


def test_localize_uses_exact_translations_and_falls_back_to_english():
    brochure = content.load(CONTENT)
    kisumu = next(s for s in brochure.case_studies if s.id == "kisumu")
    catalog = Catalog(
        messages=[
            Message(kisumu.title, "Des marchés plus sûrs et mieux éclairés", context="kisumu"),
            Message("Context", "Contexte", context="kisumu"),
            Message("Results", "Résultats", context="kisumu", flags=("fuzzy",)),
            Message("Approach", "Démarche", context="hue"),  # another document's
            Message("Partners", "Partenaires"),
        ]
    )
    templates = i18n.template_entries(ROOT / "templates")
    edition = i18n.localize(brochure, catalog, "fr", templates)
    french = next(s for s in edition.brochure.case_studies if s.id == "kisumu")
    assert french.title == "Des marchés plus sûrs et mieux éclairés"
    assert french.translations == {"s1.1": "Contexte"}  # the fuzzy one falls back
    assert edition.brochure.interface == {"Partners": "Partenaires"}
    states = {(s.entry.context, s.entry.text): s.state for s in edition.standings}
    assert states[("kisumu", "Results")] == i18n.State.FUZZY
    assert states[("kisumu", "Approach")] == i18n.State.STALE
    # The English model is untouched for the next language.
    assert kisumu.title.startswith("Safer")


def test_a_draft_marks_untranslated_fields():
    brochure = content.load(CONTENT)
    kisumu = next(s for s in brochure.case_studies if s.id == "kisumu")
    catalog = Catalog(messages=[Message(kisumu.title, "Mercados mais seguros", context="kisumu")])
    draft = i18n.localize(brochure, catalog, "pt", mark_untranslated=True).brochure
    kisumu = next(s for s in draft.case_studies if s.id == "kisumu")
    assert kisumu.title == "Mercados mais seguros"
    assert kisumu.quote.attribution.startswith("[en] ")
    assert draft.title.startswith("[en] ")


def test_portuguese_formats_for_the_catalogs_locale():
    assert i18n.locale_of("pt", _catalog(CONTENT, "pt")) == "pt_PT"
    assert i18n.locale_of("fr", _catalog(CONTENT, "fr")) == "fr"
    assert i18n.locale_of("fr", None) == "fr"


def test_the_translators_report_lists_new_and_changed_work_per_document(sample_copy):
    _one_word(sample_copy)
    _renamed(sample_copy)
    _new_section(sample_copy)
    assert cli.main(["i18n", "changes", "--lang", "fr", "-q", *sample_copy.options()]) == 0
    html = (sample_copy.out / "i18n" / "changes-fr.html").read_text()
    assert "Safer, better-lit markets for women traders" in html  # the renamed document
    assert "Integrating gender into the project cycle" in html
    assert "<del>2017</del>" in html
    assert "<ins>2016</ins>" in html
    assert "Monitoring together" in html
    assert ">2</td>" in html  # the new section's two segments
    assert "Nothing to do" not in html


# --- The merge, as a property: a translation never changes English without the fuzzy flag ---

_WORDS = st.sampled_from(
    [
        *("women", "council", "market", "budget", "lights", "water", "safety", "street"),
        *("plan", "data", "group", "city", "partners", "training", "audit", "report"),
        *("survey", "transport", "school", "health"),
    ]
)
_SENTENCE = st.lists(_WORDS, min_size=3, max_size=14).map(lambda w: " ".join(w).capitalize() + ".")


@settings(max_examples=60, deadline=None)
@given(
    old=st.lists(_SENTENCE, min_size=1, max_size=12, unique=True),
    edits=st.lists(
        st.tuples(
            st.sampled_from(["insert", "delete", "swap", "edit", "move"]),
            st.integers(0, 20),
            _SENTENCE,
        ),
        max_size=6,
    ),
)
def test_merge_never_attaches_a_translation_to_other_english(old, edits):
    def translate(text):
        return f"«{text}»"

    before = Catalog(messages=[Message(t, translate(t), context="a") for t in old])
    docs = {"a": list(old), "b": []}
    for op, i, sentence in edits:
        doc = docs["a"] if docs["a"] else docs["b"]
        n = len(doc)
        if op == "insert":
            doc.insert(i % (n + 1), sentence)
        elif op == "delete" and n:
            doc.pop(i % n)
        elif op == "swap" and n > 1:
            j = i % n
            doc[j], doc[j - 1] = doc[j - 1], doc[j]
        elif op == "edit" and n:
            doc[i % n] = doc[i % n][:-1] + " " + sentence.lower()
        elif op == "move" and n:
            docs["b"].append(doc.pop(i % n))
    pot = Catalog(
        messages=list(
            {(c, t): Message(t, context=c) for c, texts in docs.items() for t in texts}.values()
        )
    )
    after, counts = i18n.merge(before, pot)
    for message in after.messages:
        if message.obsolete or (message.string and not message.fuzzy):
            assert message.string == translate(message.id)
        elif message.fuzzy:
            assert message.string == translate(message.previous_id)
            assert message.previous_id in old
        if message.id in old and not message.obsolete:
            assert message.string == translate(message.id)
            assert not message.fuzzy
    assert {m.key for m in after.active} == {m.key for m in pot.messages}
    assert counts.new == sum(1 for m in after.active if not m.string)


def test_a_template_jinja_cannot_read_stops_extraction_with_its_line(tmp_path):
    """Babel's Jinja extractor skips such a template silently, which would make every catalog
    drop its strings to the obsolete section."""
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    tool = templates / "parts" / "tool.html"
    lines = tool.read_text().splitlines()
    broken = next(i for i, line in enumerate(lines) if "{% endfor %}" in line)
    lines[broken] = lines[broken].replace("{% endfor %}", "{% endfor")
    tool.write_text("\n".join(lines))
    with pytest.raises(i18n.pofile.BrochureError) as caught:
        i18n.template_entries(templates)
    (problem,) = caught.value.problems
    assert problem.where.path == "templates/parts/tool.html"
    assert problem.where.line >= broken + 1
    assert problem.kind == "template-syntax"
