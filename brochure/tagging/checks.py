"""The machine-checkable part of PDF/UA-1, read from a finished PDF."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

import pikepdf
from pikepdf import Dictionary, Name

from .contents import MCID, PAINTING, contents
from .tree import Node, dictionaries, label, load, number_tree

__all__ = ["problems"]


def problems(
    document: pikepdf.Pdf, written: list[list[tuple[int, str | None]]] | None = None
) -> list[str]:
    """What keeps `document` from PDF/UA-1, as far as a program can tell; [] when nothing.

    Checked: the catalog (Marked, /Lang, the title shown, dc:title), every painting operator
    inside tagged content or an artifact, every MCID in the tree once and its parent tree entry
    right, figures with alt text, headings that do not skip a level, notes with unique IDs,
    table headers with a Scope, Link elements with an annotation and text, every link
    annotation in a Link element with /Contents and written once, the structure tab order on
    pages with annotations, every font embedded. Not checked (a person's judgement): whether
    the reading order, the alt texts and the tags' choice fit the content.

    `written` is each page's marked content as the finishing has just written it (`Page.written`),
    to save reading every page's content again; the tests read the files themselves.
    """
    found: list[str] = []
    root = document.Root
    if not ("/MarkInfo" in root and root.MarkInfo.get("/Marked")):
        found.append("the catalog's MarkInfo does not say Marked")
    if not str(root.get("/Lang", "")).strip():
        found.append("the document has no /Lang")
    if not ("/ViewerPreferences" in root and root.ViewerPreferences.get("/DisplayDocTitle")):
        found.append("the viewer does not show the title (DisplayDocTitle)")
    xmp = root.Metadata.read_bytes() if "/Metadata" in root else b""
    if b"<dc:title>" not in xmp:
        found.append("the XMP metadata has no dc:title")
    if "/StructTreeRoot" not in root:
        return [*found, "the document is not tagged"]
    tree = root.StructTreeRoot
    pages = {page.obj.objgen: i for i, page in enumerate(document.pages)}
    top = [load(kid, pages) for kid in dictionaries(tree.get("/K"))]
    reached: dict[tuple[int | None, int], Node] = {}
    linked: dict[tuple[int, int], Node] = {}
    headings: list[int] = []
    ids: set[str] = set()
    labels = [label(document, i) for i in range(len(document.pages))]
    for node in (n for t in top for n in t.walk()):
        where = f"p. {labels[node.page] if node.page is not None else '?'}"
        if node.kind == "Figure" and not str(node.obj.get("/Alt", "")).strip():
            found.append(f"a figure on {where} has no alt text")
        if node.kind in ("H1", "H2", "H3", "H4", "H5", "H6"):
            headings.append(int(node.kind[1]))
        if node.kind == "Note":
            note_id = str(node.obj.get("/ID", ""))
            if not note_id or note_id in ids:
                found.append(f"a note on {where} has no unique ID")
            ids.add(note_id)
        if node.kind == "TH":
            attributes = node.obj.get("/A")
            if not (isinstance(attributes, Dictionary) and "/Scope" in attributes):
                found.append(f"a table header on {where} has no Scope")
        if node.kind == "Link":
            if not node.objrs():
                found.append(f"a Link element on {where} has no annotation")
            if not any(isinstance(k, int) for k in node.kids):
                found.append(f"a Link element on {where} has no text")
        for kid in node.kids:
            if isinstance(kid, int):
                if node.page is None or (node.page, kid) in reached:
                    found.append(f"marked content {kid} on {where} is misplaced")
                reached[(node.page, kid)] = node
            elif isinstance(kid, Dictionary) and "/Obj" in kid:
                linked[kid.Obj.objgen] = node
            elif isinstance(kid, Dictionary):
                found.append(f"a marked-content reference on {where} is not checked")
    if any(b - a > 1 for a, b in itertools.pairwise(headings)):
        found.append("headings skip a level")

    parent_tree = number_tree(tree.get("/ParentTree"))
    fonts_checked: set = set()
    for index, page in enumerate(document.pages):
        where = f"p. {labels[index]}"
        annots = list(page.obj.get("/Annots", []))
        if annots and page.obj.get("/Tabs") != Name.S:
            found.append(f"{where} has annotations but not the structure's tab order")
        rects = set()
        for annot in annots:
            if annot.get("/Subtype") != Name.Link:
                continue
            if not str(annot.get("/Contents", "")).strip():
                found.append(f"a link on {where} has no /Contents")
            node = linked.get(annot.objgen)
            parent = parent_tree.get(int(annot.get("/StructParent", -1)))
            if node is None or node.kind != "Link":
                found.append(f"a link on {where} is not in a Link element")
            elif parent is None or parent.objgen != node.obj.objgen:
                found.append(f"a link on {where} is not in the parent tree")
            rect = tuple(round(float(v), 1) for v in annot.Rect)
            if rect in rects:
                found.append(f"a link on {where} is written twice")
            rects.add(rect)
        mapped = parent_tree.get(int(page.obj.get("/StructParents", -1)))
        marked = written[index] if written else _content_check(contents(page))
        for mcid, operator in marked:
            if operator is not None:
                found.append(f"{where} paints outside tagged content and artifacts ({operator})")
                continue
            node = reached.get((index, mcid))
            if node is None:
                found.append(f"content {mcid} on {where} is not in the structure tree")
            elif mapped is None or mcid >= len(mapped) or mapped[mcid].objgen != node.obj.objgen:
                found.append(f"content {mcid} on {where} has a wrong parent tree entry")
        for font in (page.obj.get("/Resources", Dictionary()).get("/Font") or {}).values():
            if font.objgen in fonts_checked:
                continue
            fonts_checked.add(font.objgen)
            described = font.get("/DescendantFonts", [font])[0].get("/FontDescriptor", {})
            if not any(k in described for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                found.append(f"font {font.get('/BaseFont')} is not embedded")
    return list(dict.fromkeys(found))


_TOKENS = re.compile(
    rb"<<|>>|<[0-9A-Fa-f\s]*>|\((?:\\.|[^\\)])*\)|/[^\s/<>\[\]()]*|[^\s/<>\[\]()]+|[\[\]]"
)
_OPERAND = re.compile(rb"^[-+.0-9]|^true$|^false$|^null$")
_SPECIAL = re.compile(rb"[/<>\[\]()%]")
_WORD = re.compile(rb"^[A-Za-z'\"][A-Za-z0-9*]*$")


def _content_check(data: bytes) -> Iterator[tuple[int, str | None]]:
    """Over a content stream: (MCID, None) for each tagged sequence, (-1, operator) for each
    painting operator outside tagged content and artifacts."""
    stack: list[bool] = []  # for each open sequence: tagged or an artifact
    operands: list[bytes] = []
    for line in data.split(b"\n"):
        if line.endswith(b"] TJ") and line.startswith(b"[") and b"(" not in line:
            tokens = [b"TJ"]  # pydyf's text lines, read at once
        elif _SPECIAL.search(line) is None:
            tokens = line.split()
            if tokens and not _WORD.match(tokens[-1]):
                operands.extend(tokens)
                continue
            operands.extend(tokens[:-1])
            tokens = tokens[-1:]
        else:
            tokens = _TOKENS.findall(line)
        for token in tokens:
            if token[:1] in b"/<([]" or token == b">>" or _OPERAND.match(token):
                operands.append(token)
                continue
            operator = token.decode("latin-1")
            if operator in ("BDC", "BMC"):
                props = b" ".join(operands)
                mcid = MCID.search(props)
                artifact = operands[:1] == [b"/Artifact"]
                if mcid and not artifact:
                    yield int(mcid[1]), None
                stack.append(bool(mcid) or artifact or (bool(stack) and stack[-1]))
            elif operator == "EMC":
                if stack:
                    stack.pop()
            elif token in PAINTING and not (stack and stack[-1]):
                yield -1, operator
            operands = []
