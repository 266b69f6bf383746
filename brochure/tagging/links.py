"""Links: one Link element and one annotation for each link, described for people.

WeasyPrint 70 writes one annotation per box of a link (the block, each of its lines, its
``::after``), nests Link elements inside each other, leaves some with no text, and describes
every link by its target's internal id ("why-local"). A link broken over lines keeps one
annotation whose rectangles are its QuadPoints; its /Contents is the target's title and page
("A women's safety audit walk, page 27") or a web link's text and address.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from pikepdf import Array, Dictionary, String

from ..markdown import typography
from .tree import Node

if TYPE_CHECKING:
    from .finishing import Finishing

__all__ = ["links"]

# What WeasyPrint draws after a link to another part: "(p. 12)", in the edition's words.
_PAGE_REFERENCE = re.compile(r"^\u00a0?\s*\(\S+\u00a0?\s*\S+\)\s*$")
_PAGE_SUFFIX = re.compile(r"\s*\(\S+\s*\S+\)\s*$")


def links(finishing: Finishing) -> None:
    """Each link of the document: one Link element holding its text and one annotation with a
    /Contents a person understands. In a handout, a link to a page it does not contain becomes
    plain text and its "(p. 27)" is taken off the page."""
    titles = _titles(finishing)
    page_word = finishing.words.get("page") or "page"
    _merge(finishing.top)
    for node in list(finishing.top.walk()):
        if node.kind != "Link":
            continue
        _one_annotation(node)
        if not node.objrs():
            # A link whose annotation is gone (a handout's link to a page it does not contain):
            # its text is plain text now, and the "(p. 27)" it printed goes.
            node.kind = "Span"
            if finishing.handout:
                _erase_page_reference(finishing, node)
            continue
        annotation = node.objrs()[0].Obj
        text = " ".join(finishing.text(node).split())
        target = _target(node)
        if target and target.startswith("#"):
            page = finishing.destinations.get(target[1:])
            title = titles.get(target[1:]) or _PAGE_SUFFIX.sub("", text) or text
            where = f"{page_word}\u00a0{finishing.labels[page]}" if page is not None else ""
            annotation.Contents = String(", ".join(p for p in (title, where) if p))
        elif target:
            shown = text if text and text != target else ""
            annotation.Contents = String(f"{shown} ({target})" if shown else target)


def _titles(finishing: Finishing) -> dict[str, str]:
    """The titles of what a link may point to, by anchor: documents, parts and overviews."""
    brochure, words = finishing.brochure, finishing.words
    lang = getattr(brochure, "lang", "en")
    titles: dict[str, str] = {}
    for document in getattr(brochure, "documents", ()):
        titles[document.id] = typography(document.title, lang)
    overview = words.get("The case studies at a glance") or "The case studies at a glance"
    for part in getattr(brochure, "parts", ()):
        titles[part.id] = typography(part.title, lang)
        titles[f"{part.id}-overview"] = typography(overview, lang)
    return titles


def _merge(parent: Node) -> None:
    """Flatten every Link, and join a link broken over lines into one Link element."""
    merged: list = []
    for kid in parent.kids:
        if isinstance(kid, Node) and kid.kind == "Link":
            _flatten(kid)
            last = merged[-1] if merged else None
            if (
                isinstance(last, Node)
                and last.kind == "Link"
                and _target(last) == _target(kid)
                and last.page == kid.page
            ):
                last.kids.extend(kid.kids)  # one link broken over lines
                continue
        elif isinstance(kid, Node):
            _merge(kid)
        merged.append(kid)
    parent.kids = merged


def _flatten(link: Node) -> None:
    """Bring everything under a Link (nested Links, the Spans WeasyPrint made for its boxes)
    into the Link itself: its annotations and its text, in order."""
    flat: list = []

    def gather(node: Node) -> None:
        for kid in node.kids:
            if (
                isinstance(kid, Node)
                and kid.kind in ("Link", "Span", "NonStruct")
                and kid.page == link.page
            ):
                gather(kid)
            else:
                flat.append(kid)

    gather(link)
    link.kids = flat


def _erase_page_reference(finishing: Finishing, node: Node) -> None:
    content = finishing.pages[node.page] if node.page is not None else None
    kept = []
    for kid in node.kids:
        marked = content.marked.get(kid) if content and isinstance(kid, int) else None
        if marked is not None and _PAGE_REFERENCE.match(marked.text):
            content.erased.add(kid)
            continue
        kept.append(kid)
    node.kids = kept


def _one_annotation(link: Node) -> None:
    """Keep one annotation for the link: the rectangles of its others, as QuadPoints."""
    objrs = link.objrs()
    if not objrs:
        return
    rects = [_normal([float(v) for v in objr.Obj.Rect]) for objr in objrs]
    boxes = [r for r in rects if r[2] - r[0] > 0.5 and r[3] - r[1] > 0.5] or rects[:1]
    boxes = [
        r
        for i, r in enumerate(boxes)
        if not any(j != i and _inside(r, o) and (o != r or j < i) for j, o in enumerate(boxes))
    ]
    kept = objrs[0].Obj
    kept.Rect = Array(
        [
            min(b[0] for b in boxes),
            min(b[1] for b in boxes),
            max(b[2] for b in boxes),
            max(b[3] for b in boxes),
        ]
    )
    if len(boxes) > 1:
        kept.QuadPoints = Array(
            [v for x0, y0, x1, y1 in boxes for v in (x0, y1, x1, y1, x0, y0, x1, y0)]
        )
    if len(objrs) == 1:
        return
    gone = {objr.Obj.objgen for objr in objrs[1:]}
    for page in {objr.Pg.objgen: objr.Pg for objr in objrs[1:] if "/Pg" in objr}.values():
        annots = page.get("/Annots")
        if annots is not None:
            page.Annots = Array([a for a in annots if a.objgen not in gone])
    link.kids = [k for k in link.kids if not isinstance(k, Dictionary) or k is objrs[0]]


def _target(link: Node) -> str | None:
    """Where a link goes: "#name" for a destination in the document, or its URI."""
    for objr in link.objrs():
        annotation = objr.Obj
        if "/Dest" in annotation:
            return f"#{annotation.Dest}"
        action = annotation.get("/A")
        if action is not None and "/URI" in action:
            return str(action.URI)
        if action is not None and "/D" in action:
            return f"#{action.D}"
    return None


def _normal(rect: list[float]) -> list[float]:
    x0, y0, x1, y1 = rect
    return [min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)]


def _inside(inner: list[float], outer: list[float], slack: float = 0.5) -> bool:
    return (
        inner[0] >= outer[0] - slack
        and inner[1] >= outer[1] - slack
        and inner[2] <= outer[2] + slack
        and inner[3] <= outer[3] + slack
    )
