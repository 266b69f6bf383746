"""Every URL and path the sources name -> allowed, or a problem where it is written: one rule.

Judged while loading, so `check --quick` finds them in about a second; the typesetting sandbox
(`typeset.Sandbox`) stays as the second wall. The rule, as docs/content-format.md states it:

- A **link** (Markdown links and autolinks) is `#id` of a part, chapter, tool or case study
  (the PDF prints its page), or a web address: `https://` (`http://` and `mailto:` too), which
  stays a live link in the PDF. Nothing else: not `file:`, `javascript:`, `data:`, nor a path.
- An **image** (a case study's `image.src`, Markdown images) is a path relative to the content
  folder naming a file inside it (not through `..` or a symbolic link that leads out), or a
  `data:` URL of a PNG, JPEG, GIF or WebP image of at most 256 KB. Never a web address: a
  brochure does not fetch anything while it is built. A Markdown image needs its alt text.
- A **stylesheet** names, through `url()` and `@import`, files inside `styles/` or `assets/`
  (relative to the stylesheet), or `data:` URLs. Its CSS must parse, `calc()` expressions must
  be complete, and lengths must be of a sane size (WeasyPrint crashes on `calc(100% - )` and
  divides by zero on `font-size: 1e9px`).
"""

from __future__ import annotations

import base64
import binascii
import difflib
import itertools
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from urllib.parse import unquote

import tinycss2
from tinycss2 import ast

from .errors import Location, Problem
from .markdown import Markdown

__all__ = ["check_markdown", "check_stylesheets", "image_path", "judge_link"]

WEB = ("https://", "http://", "mailto:")
DATA_LIMIT = 256 * 1024
_DATA_IMAGE = re.compile(r"data:image/(png|jpeg|gif|webp)(;[a-z-]+=[^;,]*)*;base64,(.*)", re.S)
_SCHEME = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*:")
# The largest length the stylesheets may give (A4 is 297 mm; a poster is never in a brochure).
_MAX_LENGTH = {"px": 10_000, "pt": 7_500, "pc": 625, "mm": 2_650, "cm": 265, "in": 105, "q": 10_600}
_MAX_LENGTH |= {"em": 500, "rem": 500, "ex": 1_000, "ch": 1_000, "%": 10_000, "vw": 1_000}
_MAX_LENGTH |= {"vh": 1_000}


def judge_link(href: str, where: Location, field: str, ids: Iterable[str]) -> Problem | None:
    """A link is `#id` of something in the brochure, or a web address."""
    if href.startswith("#"):
        ids = list(ids)
        if href[1:] in ids:
            return None
        close = difflib.get_close_matches(href[1:], ids, n=1)
        hint = f"; did you mean '#{close[0]}'?" if close else ""
        return Problem(where, field, "broken-link", f"links to {href!r}, no such id{hint}")
    if href.lower().startswith(WEB) and len(href) > len("https://"):
        return None
    return Problem(
        where,
        field,
        "bad-link",
        f"expected a link to '#id' (a part, chapter, tool or case study) or a web address "
        f"(https://…), got {href!r}",
    )


def image_path(src: str, where: Location, field: str, content_dir: Path) -> Path | str | Problem:
    """The file an image names (an allowed `data:` URL as it is, for `images.judge` to read its
    bytes), or why it may not be used."""
    if src.startswith("data:"):
        return _data_image(src, where, field) or src
    if _SCHEME.match(src) or src.startswith(("/", "\\", "//")):
        what = (
            "a web address" if src.lower().startswith(("http:", "https:", "//")) else "not a path"
        )
        return Problem(
            where,
            field,
            "bad-image-source",
            f"{src!r} is {what}; an image is a file in the content folder, named relative to "
            f"it (like images/kisumu.svg), copied there with its licence",
        )
    path = content_dir / unquote(src)
    root = content_dir.resolve()
    if not path.resolve().is_relative_to(root):
        how = "through a symbolic link" if path.is_symlink() else "through '..'"
        return Problem(
            where,
            field,
            "outside-content",
            f"{src!r} leads out of the content folder ({how}); copy the image into "
            f"{content_dir}/images and name it from there",
        )
    if not path.is_file():
        return Problem(
            where,
            field,
            "missing-image",
            f"no image at {path}; put the file there or correct the path (relative to "
            f"{content_dir})",
        )
    return path


def _data_image(src: str, where: Location, field: str) -> Problem | None:
    match = _DATA_IMAGE.fullmatch(src)
    if match is None:
        return Problem(
            where,
            field,
            "bad-image-source",
            "a data: URL may only hold a base64 PNG, JPEG, GIF or WebP image; put an SVG or "
            "anything else in a file in the content folder",
        )
    try:
        size = len(base64.b64decode(match[3], validate=True))
    except (binascii.Error, ValueError):
        return Problem(where, field, "bad-image-source", "the data: URL is not valid base64")
    if size > DATA_LIMIT:
        return Problem(
            where,
            field,
            "bad-image-source",
            f"the data: image is {size // 1024} KB, over {DATA_LIMIT // 1024} KB; put it in a "
            "file in the content folder",
        )
    return None


def check_markdown(
    markdown: Markdown,
    text: str,
    path: str,
    first_line: int,
    field: str,
    ids: Iterable[str],
    content_dir: Path,
) -> tuple[list[Problem], list[tuple[Path | str, Location]]]:
    """Problems with the links and images of one Markdown text, and the image files it names
    (for the image checks)."""
    problems: list[Problem] = []
    images: list[tuple[Path | str, Location]] = []
    ids = list(ids)
    for link in markdown.links(text):
        where = Location(path, first_line + link.line)
        if link.kind == "link":
            if (problem := judge_link(link.href, where, field, ids)) is not None:
                problems.append(problem)
            continue
        if not link.text.strip():
            problems.append(
                Problem(
                    where,
                    field,
                    "missing-alt",
                    f"the image {link.href!r} has no alt text: write ![what it shows](…) for "
                    "screen readers",
                )
            )
        found = image_path(link.href, where, field, content_dir)
        if isinstance(found, Problem):
            problems.append(found)
        else:
            images.append((found, where))
    return problems, images


def check_stylesheets(stylesheets: Iterable[Path], roots: Iterable[Path]) -> list[Problem]:
    """Every stylesheet (and what it imports): its CSS parses, its `url()` and `@import`
    stay inside `roots` (styles/ and assets/), its calc() and lengths are sane."""
    roots = tuple(r.resolve() for r in roots)
    problems: list[Problem] = []
    seen: set[Path] = set()
    queue = [Path(p) for p in stylesheets]
    while queue:
        sheet = queue.pop()
        if sheet.resolve() in seen:
            continue
        seen.add(sheet.resolve())
        try:
            css = sheet.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            problems.append(
                Problem(Location(str(sheet)), "", "bad-stylesheet", f"cannot read it: {error}")
            )
            continue
        rules = tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True)
        for node, url in _walk_css(rules):
            where = Location(str(sheet), node.source_line)
            if isinstance(node, ast.ParseError):
                problems.append(
                    Problem(
                        where,
                        "css",
                        "bad-css",
                        f"column {node.source_column}: CSS that does not parse ({node.message})",
                    )
                )
            elif url is not None:
                target = _css_target(url, sheet, roots, where)
                if isinstance(target, Problem):
                    problems.append(target)
                elif target is not None and isinstance(node, ast.AtRule):
                    queue.append(target)
            else:
                problems += _sanity(node, where)
    return problems


def _walk_css(nodes: Iterable) -> Iterator[tuple[object, str | None]]:
    """(node, URL or None) for every parse error, url(), @import and number in the CSS."""
    for node in nodes:
        if isinstance(node, ast.ParseError):
            yield node, None
        elif isinstance(node, ast.AtRule):
            if node.lower_at_keyword == "import":
                url = next(
                    (
                        t.value if isinstance(t, ast.URLToken | ast.StringToken) else _url_arg(t)
                        for t in node.prelude
                        if isinstance(t, ast.URLToken | ast.StringToken | ast.FunctionBlock)
                    ),
                    None,
                )
                yield node, url or ""
                continue
            yield from _walk_css(node.prelude)
            if node.content is not None:
                yield from _walk_css(tinycss2.parse_blocks_contents(node.content))
        elif isinstance(node, ast.QualifiedRule):
            yield from _walk_css(tinycss2.parse_blocks_contents(node.content))
        elif isinstance(node, ast.Declaration):
            yield from _walk_css(node.value)
        elif isinstance(node, ast.URLToken):
            yield node, node.value
        elif isinstance(node, ast.FunctionBlock):
            if node.lower_name == "url":
                yield node, _url_arg(node) or ""
            else:
                yield node, None
                yield from _walk_css(node.arguments)
        elif isinstance(
            node, ast.ParenthesesBlock | ast.SquareBracketsBlock | ast.CurlyBracketsBlock
        ):
            yield from _walk_css(node.content)
        elif isinstance(node, ast.DimensionToken | ast.PercentageToken):
            yield node, None


def _url_arg(function: ast.FunctionBlock) -> str | None:
    if function.lower_name != "url":
        return None
    return next((t.value for t in function.arguments if isinstance(t, ast.StringToken)), None)


def _css_target(url: str, sheet: Path, roots: tuple[Path, ...], where: Location):
    if url.startswith("data:") or url.startswith("#"):
        return None
    if _SCHEME.match(url) or url.startswith(("/", "//")):
        return Problem(
            where,
            "url",
            "bad-url",
            f"{url!r}: a stylesheet may only name files in styles/ or assets/, relative to it",
        )
    target = (sheet.parent / unquote(url.split("#")[0].split("?")[0])).resolve()
    if not any(target.is_relative_to(root) for root in roots):
        return Problem(
            where, "url", "bad-url", f"{url!r} leads out of styles/ and assets/; keep files there"
        )
    if not target.is_file():
        return Problem(where, "url", "missing-file", f"{url!r}: no such file ({target})")
    return target


def _sanity(node: object, where: Location) -> list[Problem]:
    if isinstance(node, ast.FunctionBlock) and node.lower_name in ("calc", "min", "max", "clamp"):
        tokens = [t for t in node.arguments if not isinstance(t, ast.WhitespaceToken)]
        operators = [isinstance(t, ast.LiteralToken) and t.value in "+-*/" for t in tokens]
        broken = not tokens or operators[0] or operators[-1]
        broken |= any(a and b for a, b in itertools.pairwise(operators))
        if broken and node.lower_name == "calc":
            return [
                Problem(
                    where,
                    "css",
                    "bad-css",
                    f"incomplete calc(): {tinycss2.serialize([node])!r}; every operator needs "
                    "a value on both sides",
                )
            ]
    if isinstance(node, ast.DimensionToken | ast.PercentageToken):
        unit = "%" if isinstance(node, ast.PercentageToken) else node.lower_unit
        limit = _MAX_LENGTH.get(unit)
        if limit is not None and abs(node.value) > limit:
            return [
                Problem(
                    where,
                    "css",
                    "bad-css",
                    f"{tinycss2.serialize([node])} is out of range for a printed page (at most "
                    f"{limit}{unit})",
                )
            ]
    return []
