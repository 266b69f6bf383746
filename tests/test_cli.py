"""cli: commands, exit codes 0/1/2, errors without tracebacks, the last good PDF kept."""

import subprocess
import sys

from brochure import cli

from .conftest import BAD, CONTENT, ROOT


def test_help_explains_the_commands(capsys):
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    for word in ("build", "check", "--content", "--out", "--html"):
        assert word in out


def test_a_usage_error_exits_2(capsys):
    assert cli.main(["build", "--no-such-option"]) == 2
    assert cli.main(["publish"]) == 2
    assert "invalid choice" in capsys.readouterr().err


def test_a_folder_without_a_manifest_is_a_usage_error(tmp_path, capsys):
    assert cli.main(["check", "--content", str(tmp_path)]) == 2
    assert "has no brochure.yaml" in capsys.readouterr().err


def test_check_validates_the_sample(capsys):
    assert cli.main(["check", "--quick", "--content", str(CONTENT)]) == 0
    err = capsys.readouterr().err
    assert "no errors" in err
    assert "load" in err  # progress lines name each stage with its time


def test_a_broken_case_study_exits_1_and_keeps_the_last_good_pdf(sample_copy, capsys):
    previous = sample_copy.previous_pdf()
    before = previous.read_bytes()
    sample_copy.replace_case_study(BAD / "period-in-words.md")
    code = cli.main(["build", *sample_copy.options()])
    err = capsys.readouterr().err
    assert code == 1
    assert "case-studies/kisumu.md:14: period.start: expected a month like 2019-03" in err
    assert "1 problem in 1 file." in err
    assert "The last good PDF was left as it was." in err
    assert "Traceback" not in err
    assert previous.read_bytes() == before


def test_the_script_runs_build_by_default_and_reports_without_traceback(sample_copy):
    sample_copy.replace_case_study(BAD / "unknown-key.md")
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "make_brochure.py"),
            "--content",
            str(sample_copy.content),
            "--out",
            str(sample_copy.out),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "kisumu.md:17: sgds: unknown key; did you mean 'sdgs'?" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_broken_translation_fails_with_the_po_file_and_line(sample_copy, capsys):
    po = sample_copy.content / "locales" / "fr.po"
    text = po.read_text()
    lines = text.splitlines()
    line = next(
        i
        for i, entry in enumerate(lines, 1)
        if entry.startswith("msgstr")
        and "(#safety-audit)" in entry
        and lines[i - 3] == 'msgctxt "kisumu"'
    )
    lines[line - 1] = lines[line - 1].replace("(#safety-audit)", "(#nowhere)")
    po.write_text("\n".join(lines) + "\n")
    code = cli.main(["build", "--lang", "fr", *sample_copy.options()])
    err = capsys.readouterr().err
    assert code == 1
    assert f"locales/fr.po:{line}: kisumu: links and images to #nowhere; the English has " in err
    assert "#safety-audit" in err
    assert "Traceback" not in err


def test_a_malformed_po_file_exits_1(sample_copy, capsys):
    sample_copy.write("locales/es.po", 'msgid "x"\nmsgstr "y"\nmsgid\n')
    code = cli.main(["build", "--lang", "es", *sample_copy.options()])
    err = capsys.readouterr().err
    assert code == 1
    assert "locales/es.po:3: not a valid PO file" in err


def test_strict_refuses_an_edition_with_untranslated_text(sample_copy, capsys):
    previous = sample_copy.previous_pdf().with_name("gender-equality-local-level-pt.pdf")
    previous.write_bytes(b"last good")
    code = cli.main(["build", "--lang", "pt", "--strict", *sample_copy.options()])
    err = capsys.readouterr().err
    assert code == 1
    assert "not translated into pt" in err
    assert previous.read_bytes() == b"last good"


def test_watch_sees_an_edited_file(sample_copy):
    import os

    from brochure.build import BuildOptions, sources

    opts = BuildOptions(content_dir=sample_copy.content)
    before = sources(opts)
    edited = sample_copy.content / "foreword.md"
    assert edited in before
    os.utime(edited, ns=(before[edited] + 10**9, before[edited] + 10**9))
    after = sources(opts)
    assert [p for p in after if after[p] != before[p]] == [edited]


def test_help_lists_watch(capsys):
    assert cli.main(["--help"]) == 0
    assert "watch" in capsys.readouterr().out
