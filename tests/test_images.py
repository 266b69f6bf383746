"""images.judge: every image is judged from its bytes before anything decodes it, never raising.

The fixtures are made here, a few hundred bytes each: PNGs written chunk by chunk, JPEGs saved
by Pillow and cut, SVGs as text. Each test names the protection it needs; without it the
problem kind it asserts would be missing.
"""

from __future__ import annotations

import base64
import io
import os
import struct
import time
import zlib
from pathlib import Path

import pydantic
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageFile

from brochure.errors import Location, Problem
from brochure.images import ImageLimits, judge
from brochure.model import Limits

from .conftest import CONTENT, ROOT

DEFAULT = ImageLimits()
WHERE = Location("content/case-studies/kisumu.md", 31)
FIELD = "image.src"
SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
    'viewBox="0 0 10 10">\n{}\n</svg>\n'
)


# --- fixtures -------------------------------------------------------------------------------------


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png(width: int, height: int, idat: bytes, depth: int = 8, colour: int = 2) -> bytes:
    header = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", idat)
        + _chunk(b"IEND", b"")
    )


def _saved(format: str, size: tuple[int, int] = (64, 48)) -> bytes:
    image = Image.effect_noise(size, 60).convert("RGB")
    out = io.BytesIO()
    image.save(out, format)
    return out.getvalue()


@pytest.fixture
def content(tmp_path: Path) -> Path:
    folder = tmp_path / "content"
    (folder / "images").mkdir(parents=True)
    return folder


def _put(content: Path, name: str, data: bytes | str) -> Path:
    path = content / "images" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def _judge(content: Path, src: Path | str, limits: ImageLimits = DEFAULT) -> list[Problem]:
    """judge() as the loader calls it; it must never raise, be quick and locate every problem."""
    if isinstance(src, Path) and not src.is_absolute():
        src = content / src  # a file is passed as the loader finds it
    start = time.perf_counter()
    problems = judge(src, WHERE, FIELD, content, limits)
    assert time.perf_counter() - start < 1.0
    assert all(p.where == WHERE and p.field == FIELD and p.is_error for p in problems)
    assert all(p.message and "Traceback" not in p.message for p in problems)
    return problems


def _kinds(content: Path, name: str, data: bytes | str) -> list[str]:
    _put(content, name, data)
    return [p.kind for p in _judge(content, Path("images") / name)]


# --- good images pass -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("photo.png", lambda: _saved("PNG")),
        ("photo.jpg", lambda: _saved("JPEG")),
        ("photo.jpeg", lambda: _saved("JPEG")),
        ("photo.gif", lambda: _saved("GIF")),
        ("photo.webp", lambda: _saved("WEBP")),
        ("interlaced.png", lambda: _interlaced_png()),
        ("drawing.svg", lambda: SVG.format('<rect width="5" height="5" fill="#B0306A"/>')),
    ],
)
def test_a_good_image_has_no_problems(content: Path, name: str, data):
    assert _kinds(content, name, data()) == []


def _interlaced_png() -> bytes:
    out = io.BytesIO()
    Image.effect_noise((37, 23), 60).save(out, "PNG", interlace=1)
    return out.getvalue()


@pytest.mark.parametrize(
    ("folder", "path"),
    [(CONTENT, p) for p in sorted((CONTENT / "images").iterdir())]
    + [(ROOT / "assets", p) for p in sorted((ROOT / "assets").rglob("*.svg"))],
    ids=lambda value: value.name,
)
def test_every_image_of_the_sample_passes(folder: Path, path: Path):
    assert _judge(folder, path.relative_to(folder)) == []


def test_a_relative_content_folder_works_as_the_loader_passes_it(
    content: Path, monkeypatch: pytest.MonkeyPatch
):
    _put(content, "photo.png", _saved("PNG"))
    monkeypatch.chdir(content.parent)
    relative = Path("content")
    assert judge(relative / "images/photo.png", WHERE, FIELD, relative) == []
    assert judge("images/photo.png", WHERE, FIELD, relative) == []
    [problem] = judge(relative / "images/none.png", WHERE, FIELD, relative)
    assert problem.message.startswith("no image at images/none.png")


def test_the_sample_images_pass_as_their_case_studies_name_them():
    from brochure import content

    for study in content.load(CONTENT).case_studies:
        assert _judge(CONTENT, study.image.src) == [], study.image.src


# --- the file itself ------------------------------------------------------------------------------


def test_a_missing_file_a_folder_and_a_dangling_link_are_refused(content: Path):
    assert [p.kind for p in _judge(content, Path("images/nothere.png"))] == ["missing-image"]
    (content / "images" / "folder.png").mkdir()
    assert [p.kind for p in _judge(content, Path("images/folder.png"))] == ["not-a-file"]
    os.symlink("nowhere.png", content / "images" / "dangling.png")
    [problem] = _judge(content, Path("images/dangling.png"))
    assert problem.kind == "missing-image"
    assert "symbolic link to nothing" in problem.message


def test_a_symlink_out_of_the_content_folder_is_refused(content: Path, tmp_path: Path):
    secret = tmp_path / "secret.png"
    secret.write_bytes(_saved("PNG"))
    os.symlink(secret, content / "images" / "outside.png")
    [problem] = _judge(content, Path("images/outside.png"))
    assert problem.kind == "outside-content"
    assert str(secret) in problem.message
    assert "images/outside.png" in problem.message


def test_a_symlink_to_an_image_inside_the_content_folder_is_judged_like_the_image(content: Path):
    _put(content, "real.png", _saved("PNG"))
    os.symlink("real.png", content / "images" / "alias.png")
    assert _judge(content, Path("images/alias.png")) == []
    _put(content, "cut.png", _saved("PNG")[:-20])
    os.symlink("cut.png", content / "images" / "alias-cut.png")
    assert [p.kind for p in _judge(content, Path("images/alias-cut.png"))] == ["truncated-image"]


def test_a_path_out_of_the_content_folder_is_refused(content: Path, tmp_path: Path):
    (tmp_path / "elsewhere.png").write_bytes(_saved("PNG"))
    assert [p.kind for p in _judge(content, Path("../elsewhere.png"))] == ["outside-content"]
    assert [p.kind for p in _judge(content, tmp_path / "elsewhere.png")] == ["outside-content"]


# --- what the bytes are ---------------------------------------------------------------------------


def test_a_text_file_named_png_is_not_an_image(content: Path):
    _put(content, "notes.png", "Photo to follow from the Kisumu team.\n")
    [problem] = _judge(content, Path("images/notes.png"))
    assert problem.kind == "unsupported-image"
    assert "images/notes.png is a text file" in problem.message


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "a PDF document"),
        (b"II*\x00\x08\x00\x00\x00", "a TIFF image"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", "a HEIC photo"),
        (b"\x1f\x8b\x08\x00\x00\x00\x00\x00", "gzip"),
    ],
)
def test_other_formats_are_named_with_what_to_do(content: Path, data: bytes, said: str):
    _put(content, "picture.png", data + bytes(200))
    [problem] = _judge(content, Path("images/picture.png"))
    assert problem.kind == "unsupported-image"
    assert said in problem.message


def test_a_jpeg_named_png_is_told_to_be_renamed(content: Path):
    _put(content, "kisumu.png", _saved("JPEG"))
    [problem] = _judge(content, Path("images/kisumu.png"))
    assert problem.kind == "wrong-extension"
    assert "images/kisumu.png is a JPEG file, not PNG; rename it to images/kisumu.jpg" in (
        problem.message
    )


def test_an_svg_named_png_is_told_to_be_renamed_and_still_judged(content: Path):
    _put(content, "map.png", SVG.format("<script>alert(1)</script>"))
    assert [p.kind for p in _judge(content, Path("images/map.png"))] == [
        "wrong-extension",
        "svg-script",
    ]


# --- raster images: measured from the header, refused when cut or damaged ---------------------


def test_a_png_whose_header_claims_400_megapixels_is_refused_before_decoding(content: Path):
    bomb = _png(20000, 20000, zlib.compress(bytes(1000)))
    assert len(bomb) < 300
    _put(content, "bomb.png", bomb)
    [problem] = _judge(content, Path("images/bomb.png"))
    assert problem.kind == "too-many-pixels"
    assert "20000 × 20000 px (400 megapixels)" in problem.message
    assert "shrink it to at most 6324 × 6324 px" in problem.message


def test_the_pixel_limit_is_the_one_given(content: Path):
    _put(content, "photo.png", _saved("PNG", (400, 300)))
    assert _judge(content, Path("images/photo.png"), ImageLimits(megapixels=0.12)) == []
    [problem] = _judge(content, Path("images/photo.png"), ImageLimits(megapixels=0.1))
    assert problem.kind == "too-many-pixels"
    assert "over the limit of 0.1 megapixels" in problem.message


def test_pillows_own_bomb_error_never_escapes(content: Path):
    """A limit above Pillow's (a caller's choice) reaches Pillow, which refuses 400 MP itself."""
    rows = bytes(20000 * (1 + 20000 // 8))  # 1-bit grey, all black: 50 MB inflated, 50 kB stored
    _put(content, "black.png", _png(20000, 20000, zlib.compress(rows, 9), depth=1, colour=0))
    problems = judge(content / "images/black.png", WHERE, FIELD, content, ImageLimits(1000))
    assert [p.kind for p in problems] == ["too-many-pixels"]


def test_a_png_with_a_flipped_byte_fails_its_crc(content: Path):
    data = bytearray(_saved("PNG"))
    data[data.index(b"IDAT") + 40] ^= 0xFF
    _put(content, "damaged.png", bytes(data))
    [problem] = _judge(content, Path("images/damaged.png"))
    assert problem.kind == "corrupt-image"
    assert "the IDAT chunk at byte" in problem.message
    assert "fails its CRC" in problem.message


def test_a_png_cut_short_is_refused(content: Path):
    assert _kinds(content, "cut.png", _saved("PNG")[:-40]) == ["truncated-image"]


def test_a_png_whose_image_data_stops_early_is_refused_even_with_good_checksums(content: Path):
    """Valid chunks and CRCs, but the compressed pixels stop halfway: only inflating tells."""
    rows = bytes(range(256)) * 40
    rows = rows[: 48 * (1 + 64 * 3)]
    half = zlib.compress(rows)[: len(zlib.compress(rows)) // 2]
    [problem] = [p for p in _judge_bytes(content, "half.png", _png(64, 48, half))]
    assert problem.kind == "truncated-image"
    complete = _png(64, 48, zlib.compress(rows))
    assert _judge_bytes(content, "whole.png", complete) == []


def test_a_png_whose_compressed_data_is_garbage_is_refused(content: Path):
    assert _kinds(content, "garbage.png", _png(64, 48, b"\x78\x9c" + bytes(range(200)))) == [
        "corrupt-image"
    ]


def _judge_bytes(content: Path, name: str, data: bytes) -> list[Problem]:
    _put(content, name, data)
    return _judge(content, Path("images") / name)


def test_a_jpeg_cut_short_is_refused(content: Path):
    [problem] = _judge_bytes(content, "cut.jpg", _saved("JPEG", (320, 240))[:-200])
    assert problem.kind == "truncated-image"
    assert "FF D9" in problem.message


def test_a_jpeg_with_a_corrupt_stream_is_refused_by_the_reduced_decode(content: Path):
    """Header and end marker intact, scan data overwritten: only decoding (at 1/8) tells."""
    data = bytearray(_saved("JPEG", (320, 240)))
    for i in range(data.index(b"\xff\xda") + 20, len(data) - 2, 7):
        data[i] = 0xFF
    assert ImageFile.LOAD_TRUNCATED_IMAGES  # WeasyPrint's setting (conftest imports it)
    [problem] = _judge_bytes(content, "scrambled.jpg", bytes(data))
    assert problem.kind == "corrupt-image"
    assert "images/scrambled.jpg is damaged" in problem.message
    assert ImageFile.LOAD_TRUNCATED_IMAGES  # and it is left as it was


def test_gif_and_webp_cut_short_are_refused(content: Path):
    assert _kinds(content, "cut.gif", _saved("GIF")[:-3]) == ["truncated-image"]
    assert _kinds(content, "cut.webp", _saved("WEBP")[:-40]) == ["truncated-image"]


def test_every_prefix_of_a_good_image_is_refused_and_none_raises(content: Path):
    for format, name in (("PNG", "p.png"), ("JPEG", "j.jpg"), ("GIF", "g.gif"), ("WEBP", "w.webp")):
        data = _saved(format, (24, 16))
        for end in range(0, len(data) - 1, max(1, len(data) // 60)):
            problems = _judge_bytes(content, name, data[:end])
            assert problems, f"{format} cut at {end} of {len(data)} bytes was accepted"


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.binary(max_size=400),
    name=st.sampled_from(["x.png", "x.jpg", "x.gif", "x.webp", "x.svg", "x"]),
    prefix=st.sampled_from([b"", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF89a", b"<svg"]),
)
def test_no_bytes_make_it_raise(content: Path, data: bytes, name: str, prefix: bytes):
    _put(content, name, prefix + data)
    assert isinstance(_judge(content, Path("images") / name), list)


# --- SVG: a hardened parse ------------------------------------------------------------------------


def test_an_svg_entity_bomb_is_refused_at_once(content: Path):
    entities = ['<!ENTITY a0 "laughs laughs laughs laughs">']
    entities += [f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10)]
    bomb = f'<?xml version="1.0"?>\n<!DOCTYPE svg [{"".join(entities)}]>\n' + SVG.format(
        "<text>&a9;</text>"
    )
    [problem] = _judge_bytes(content, "laughs.svg", bomb.encode())
    assert problem.kind == "svg-entities"
    assert "&a0;" in problem.message


def test_an_external_entity_is_refused(content: Path):
    xxe = '<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>' + SVG.format(
        "<text>&x;</text>"
    )
    assert _kinds(content, "xxe.svg", xxe) == ["svg-entities"]


def test_a_doctype_subset_is_refused_but_a_plain_doctype_is_fine(content: Path):
    attlist = '<!DOCTYPE svg [<!ATTLIST image href CDATA "https://x.example/a.png">]>'
    assert _kinds(content, "attlist.svg", attlist + SVG.format("<image/>")) == ["svg-doctype"]
    public = (
        '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
        '"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">'
    )
    assert _kinds(content, "public.svg", public + SVG.format("<rect/>")) == []


def test_broken_xml_and_xml_that_is_not_svg_are_refused_with_the_line(content: Path):
    [problem] = _judge_bytes(content, "broken.svg", SVG.format("<g>\n<rect>").encode())
    assert problem.kind == "svg-syntax"
    assert "line 4" in problem.message
    assert _kinds(content, "page.svg", "<html><body>x</body></html>") == ["not-an-svg"]


@pytest.mark.parametrize(
    ("element", "kind"),
    [
        ('<image href="https://example.org/photo.png"/>', "remote-reference"),
        ('<image xlink:href="http://example.org/photo.png"/>', "remote-reference"),
        ('<image href="//example.org/photo.png"/>', "remote-reference"),
        ('<use href="https://example.org/sprites.svg#icon"/>', "remote-reference"),
        ('<image xlink:href="file:///etc/passwd"/>', "file-reference"),
        ('<image href="/etc/hosts"/>', "absolute-path"),
        ('<image href="../../../etc/hosts"/>', "outside-content"),
        ('<image href="../../secret.png"/>', "outside-content"),
        ('<rect style="fill: url(https://example.org/p.svg#g)"/>', "remote-reference"),
        ("<rect fill=\"url('file:///etc/passwd')\"/>", "file-reference"),
        ("<style>rect { fill: url(https://example.org/p.svg#g) }</style>", "remote-reference"),
        ("<style>@font-face { src: url(/usr/share/fonts/x.ttf) }</style>", "absolute-path"),
        ("<style>@import url(theme.css);</style>", "svg-import"),
        ('<style>@import "https://example.org/theme.css";</style>', "svg-import"),
        ('<a href="javascript:alert(1)"><rect/></a>', "bad-reference"),
        ("<script>alert(1)</script>", "svg-script"),
        ('<rect onclick="alert(1)"/>', "svg-script"),
        ('<svg onload="alert(1)"/>', "svg-script"),
        ('<g xml:base="https://example.org/"><rect/></g>', "svg-xml-base"),
        ('<image href="data:text/html;base64,PGI+eDwvYj4="/>', "bad-data-url"),
        ('<image href="nothere.png"/>', "missing-image"),
    ],
)
def test_an_svg_reference_out_of_the_content_is_refused(content: Path, element: str, kind: str):
    (content.parent / "secret.png").write_bytes(_saved("PNG"))
    [problem] = _judge_bytes(content, "drawing.svg", SVG.format(element).encode())
    assert problem.kind == kind
    assert problem.message.startswith("images/drawing.svg line 2, <")


def test_a_stylesheet_processing_instruction_is_refused(content: Path):
    pi = '<?xml-stylesheet type="text/css" href="https://example.org/a.css"?>\n'
    assert _kinds(content, "styled.svg", pi + SVG.format("<rect/>")) == ["svg-stylesheet"]


def test_an_svg_reference_through_a_symlink_out_of_the_content_is_refused(
    content: Path, tmp_path: Path
):
    (tmp_path / "secret.png").write_bytes(_saved("PNG"))
    os.symlink(tmp_path / "secret.png", content / "images" / "link.png")
    [problem] = _judge_bytes(content, "linked.svg", SVG.format('<image href="link.png"/>').encode())
    assert problem.kind == "outside-content"
    assert "symbolic link" in problem.message


@pytest.mark.parametrize(
    "element",
    [
        '<defs><linearGradient id="g"/></defs><rect fill="url(#g)"/>',
        '<defs><rect id="r"/></defs><use href="#r"/><use xlink:href="#r"/>',
        "<style>rect { fill: url(#g) } @namespace svg url(http://www.w3.org/2000/svg);</style>",
        '<a href="#r"><rect id="r"/></a>',
    ],
)
def test_fragments_are_allowed(content: Path, element: str):
    assert _kinds(content, "fragments.svg", SVG.format(element)) == []


def test_a_data_url_image_is_allowed_and_judged(content: Path):
    good = base64.b64encode(_saved("PNG")).decode()
    assert (
        _kinds(content, "embedded.svg", SVG.format(f'<image href="data:image/png;base64,{good}"/>'))
        == []
    )
    bomb = base64.b64encode(_png(20000, 20000, zlib.compress(bytes(100)))).decode()
    [problem] = _judge_bytes(
        content,
        "embedded-bomb.svg",
        SVG.format(f'<image href="data:image/png;base64,{bomb}"/>').encode(),
    )
    assert problem.kind == "too-many-pixels"
    assert "data: URL (image/png)" in problem.message


def test_relative_references_are_judged_once_each(content: Path):
    _put(content, "photo.jpg", _saved("JPEG"))
    _put(content, "parts/icon.svg", SVG.format('<image href="../photo.jpg"/>'))
    _put(content, "cut.png", _saved("PNG")[:-20])
    drawing = SVG.format(
        '<image href="photo.jpg"/><image href="photo.jpg"/><image href="parts/icon.svg"/>'
        '<image href="cut.png"/><use href="parts/icon.svg#x"/><image href="photo%2Ejpg"/>'
    )
    problems = _judge_bytes(content, "collage.svg", drawing.encode())
    assert [p.kind for p in problems] == ["truncated-image"]
    assert problems[0].message.startswith("images/collage.svg line 2, <image> href: images/cut.png")


def test_an_svg_that_refers_to_itself_is_refused(content: Path):
    assert _kinds(content, "mirror.svg", SVG.format('<image href="mirror.svg"/>')) == [
        "svg-reference-loop"
    ]
    _put(content, "b.svg", SVG.format('<image href="a.svg"/>'))
    assert _kinds(content, "a.svg", SVG.format('<image href="b.svg"/>')) == ["svg-reference-loop"]


def test_a_use_loop_and_a_use_bomb_are_refused(content: Path):
    loop = SVG.format('<g id="a"><rect/><use href="#a"/></g>')
    assert _kinds(content, "loop.svg", loop) == ["svg-reference-loop"]
    levels = "".join(f'<g id="l{i + 1}">' + f'<use href="#l{i}"/>' * 10 + "</g>" for i in range(9))
    bomb = SVG.format(f'<defs><rect id="l0"/>{levels}</defs><use href="#l9"/>')
    assert len(bomb) < 2000
    assert _kinds(content, "bomb.svg", bomb) == ["svg-too-many-elements"]


def test_svgs_inside_svgs_are_limited(content: Path):
    for i in range(12):
        _put(content, f"n{i}.svg", SVG.format(f'<image href="n{i + 1}.svg"/>'))
    _put(content, "n12.svg", SVG.format("<rect/>"))
    [problem] = _judge(content, Path("images/n0.svg"))
    assert problem.kind == "svg-reference-chain"
    inner = SVG.format("<rect/>")
    for _ in range(12):  # data: inside data: inside ...
        encoded = base64.b64encode(inner.encode()).decode()
        inner = SVG.format(f'<image href="data:image/svg+xml;base64,{encoded}"/>')
    assert _kinds(content, "matryoshka.svg", inner) == ["svg-reference-chain"]


def test_svg_nesting_and_size_are_limited(content: Path):
    _put(content, "deep.svg", SVG.format("<g>" * 500 + "</g>" * 500))
    [problem] = _judge(content, Path("images/deep.svg"))
    assert problem.kind == "svg-too-deep"
    assert "nests elements 501 deep, over the limit of 100" in problem.message
    chain = "".join(f'<g id="c{i + 1}"><use href="#c{i}"/></g>' for i in range(200))
    assert _kinds(content, "chain.svg", SVG.format(f'<defs><rect id="c0"/>{chain}</defs>')) == [
        "svg-too-deep"
    ]
    big = SVG.format("<!-- padding -->\n" * 400_000)
    assert _kinds(content, "big.svg", big) == ["file-too-large"]


# --- references as written in Markdown or front matter -----------------------------------------


@pytest.mark.parametrize(
    ("src", "kinds"),
    [
        ("images/photo.png", []),
        ("images/photo%2Epng", []),
        ("https://example.org/photo.png", ["remote-reference"]),
        ("file:///etc/passwd", ["file-reference"]),
        ("/etc/hosts", ["absolute-path"]),
        ("../secret.png", ["outside-content"]),
        ("#kisumu", ["bad-reference"]),
        ("images/nothere.png", ["missing-image"]),
        (
            "data:image/png;base64,"
            + base64.b64encode(_png(1, 1, zlib.compress(bytes(4)))).decode(),
            [],
        ),
    ],
)
def test_a_reference_as_written_is_judged_by_the_same_rule(content: Path, src: str, kinds: list):
    _put(content, "photo.png", _saved("PNG"))
    (content.parent / "secret.png").write_bytes(_saved("PNG"))
    assert [p.kind for p in _judge(content, src)] == kinds


# --- the manifest's limit -------------------------------------------------------------------------


def test_the_manifest_limit_defaults_to_40_megapixels_and_is_validated():
    assert Limits().image_megapixels == ImageLimits().megapixels == 40
    assert Limits(image_megapixels=12).image_megapixels == 12
    for wrong in (0, -1, 151, "many", "12", True, float("nan")):
        with pytest.raises(pydantic.ValidationError):
            Limits(image_megapixels=wrong)
