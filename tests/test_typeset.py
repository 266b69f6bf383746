"""typeset: the sandbox serves only the brochure's folders; WeasyPrint's log becomes findings."""

from pathlib import Path

import pytest

from brochure import typeset


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    inside = tmp_path / "content"
    inside.mkdir()
    (inside / "ok.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'
    )
    outside = tmp_path / "secret.svg"
    outside.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')
    return inside, outside


def test_files_inside_the_roots_are_served(folders):
    inside, _ = folders
    response = typeset.Sandbox((inside,)).fetch((inside / "ok.svg").as_uri())
    assert b"<svg" in response.read()


@pytest.mark.parametrize(
    "url", ["https://example.org/logo.png", "http://127.0.0.1/x.css", "file:///etc/passwd"]
)
def test_the_network_and_other_files_are_refused(folders, url):
    inside, _ = folders
    sandbox = typeset.Sandbox((inside,))
    with pytest.raises(ValueError, match="outside the brochure's folders"):
        sandbox.fetch(url)
    assert sandbox.refused == [url]


def test_a_path_that_climbs_out_of_a_root_is_refused(folders):
    inside, outside = folders
    with pytest.raises(ValueError, match="outside"):
        typeset.Sandbox((inside,)).fetch(inside.as_uri() + "/../" + outside.name)


def test_refused_resources_and_weasyprint_warnings_become_findings(folders):
    inside, outside = folders
    html = (
        f'<p style="colour: red">Hi</p><img src="{outside.as_uri()}" alt="x">'
        f'<img src="{inside.as_uri()}/ok.svg" alt="fine">'
    )
    result = typeset.typeset(html, inside, typeset.Sandbox((inside,)), "test.html")
    kinds = {p.kind for p in result.findings}
    assert "refused-url" in kinds
    assert any("colour" in p.message for p in result.findings)  # the ignored CSS property
    assert all(str(p.where) == "test.html" for p in result.findings)
    assert len(result.document.pages) == 1
