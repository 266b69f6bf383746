"""Laid-out document -> the PDF file: metadata, page labels, viewer settings, atomic write.

WeasyPrint writes the outline (from the CSS bookmark levels), the document info (from the HTML
`<meta>` tags) and `/Lang`. Its finisher hook adds what it leaves out: XMP metadata, page labels
that match the printed folios (roman front matter, arabic from the first part on) and the viewer
preference that shows the title instead of the file name. Files are written with
`outputs.write_atomically`; a build points `finish` and `handouts` at its staging folder, and
`outputs.Staging` moves the PDF, its handouts and its report into place together, so a failed
build never leaves a half-written PDF or overwrites the last good one.
"""

from __future__ import annotations

import copy
import hashlib
import io
from collections.abc import Callable
from pathlib import Path
from xml.etree.ElementTree import Element, SubElement, register_namespace, tostring

import pydyf
import weasyprint
from pypdf import PdfReader

from . import printing, tagging
from .errors import BrochureError, Location, Problem
from .markdown import typography
from .model import Brochure, Variant
from .outputs import write_atomically

__all__ = [
    "document_pages",
    "finish",
    "handouts",
    "main_matter_start",
    "over_budget",
    "pdf_bytes",
    "write_atomically",
]

_NS = {
    "x": "adobe:ns:meta/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "pdf": "http://ns.adobe.com/pdf/1.3/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "xmpMM": "http://ns.adobe.com/xap/1.0/mm/",
    "pdfxid": "http://www.npes.org/pdfx/ns/id/",
}
for _prefix, _uri in _NS.items():
    register_namespace(_prefix, _uri)


def finish(
    document: weasyprint.Document,
    brochure: Brochure,
    target: Path,
    variant: Variant,
    icc_dir: Path | None = None,
) -> Path:
    """Write `document` as the finished PDF at `target` (atomically) and return the path.

    A PDF over the variant's size budget is not written: the problem names its largest parts.
    """
    pdf = pdf_bytes(document, brochure, variant, icc_dir)
    problems = over_budget(pdf, variant, Location(str(target)))
    if problems:
        raise BrochureError(problems)
    write_atomically(target, pdf)
    return target


def pdf_bytes(
    document: weasyprint.Document,
    brochure: Brochure,
    variant: Variant,
    icc_dir: Path | None = None,
) -> bytes:
    """The finished PDF, in memory: with its bleed and crop marks, and no links, for a variant
    that keeps the bleed (print), else cut at the trim; a PDF/X-4 file for a variant with an
    output intent, whose profile is read from `icc_dir` (brochure/printing.py)."""
    identifier = _identifier(brochure)
    options: dict[str, object] = {}
    if variant.image_dpi:
        options |= {"optimize_images": True, "dpi": variant.image_dpi, "jpeg_quality": 85}
    pdf_x = variant.output_intent is not None
    start = main_matter_start(document, brochure)
    finishers = [_finisher(brochure, start, identifier, pdf_x=pdf_x)]
    document, more, options["pdf_version"] = printing.prepare(document, variant, icc_dir)
    finishers += more
    pdf = document.write_pdf(
        finisher=lambda doc, pdf: [finisher(doc, pdf) for finisher in finishers],
        pdf_identifier=identifier,
        pdf_tags=True,
        **options,
    )
    return tagging.accessible(pdf, brochure)  # links, notes, headers, words; PDF/UA-1


def over_budget(pdf: bytes, variant: Variant, where: Location) -> list[Problem]:
    """A problem if `pdf` is larger than the variant's size budget, naming its largest parts."""
    budget = variant.size_budget_mb
    if budget is None or len(pdf) <= budget * 1_000_000:
        return []
    parts = ", ".join(f"{name} {_size(size)}" for name, size in _largest(pdf)[:5])
    return [
        Problem(
            where,
            "size_budget_mb",
            "over-budget",
            f"the PDF would be {len(pdf) / 1e6:.1f} MB, over its budget of {budget} MB; "
            f"largest parts: {parts}",
        )
    ]


def _size(size: int) -> str:
    return f"{size / 1e6:.1f} MB" if size >= 100_000 else f"{size / 1e3:.0f} KB"


def _largest(pdf: bytes) -> list[tuple[str, int]]:
    """The biggest parts of a PDF as stored (compressed), named for people, largest first:
    images with their size in pixels and the page that first shows them, embedded fonts, and
    each page's own drawing. Every object is counted once, however many pages share it, and
    images inside form XObjects (where WeasyPrint puts them) are found too."""
    reader = PdfReader(io.BytesIO(pdf))
    sizes: dict[str, int] = {}
    seen: set[int] = set()

    def stored(reference) -> int:
        obj = reference.get_object()
        return len(getattr(obj, "_data", b"") or b"")

    def walk(resources, page: int) -> None:
        resources = resources.get_object() if resources is not None else {}
        for xobject in (resources.get("/XObject") or {}).values():
            if xobject.idnum in seen:
                continue
            seen.add(xobject.idnum)
            stream = xobject.get_object()
            if stream.get("/Subtype") == "/Image":
                name = f"image {stream.get('/Width')}×{stream.get('/Height')} px (p. {page})"
                sizes[name] = sizes.get(name, 0) + stored(xobject)
            else:  # a form: an SVG image drawn in vectors, or a group of the page's drawing
                name = f"vector drawing (p. {page})"
                sizes[name] = sizes.get(name, 0) + stored(xobject)
                walk(stream.get("/Resources"), page)
        for font in (resources.get("/Font") or {}).values():
            font = font.get_object()
            descendant = font.get("/DescendantFonts", [font])[0].get_object()
            descriptor = descendant.get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor is not None else {}
            for key in ("/FontFile", "/FontFile2", "/FontFile3"):
                if key in descriptor and descriptor.raw_get(key).idnum not in seen:
                    seen.add(descriptor.raw_get(key).idnum)
                    name = f"font {str(font.get('/BaseFont', '?')).lstrip('/')}"
                    sizes[name] = sizes.get(name, 0) + stored(descriptor.raw_get(key))

    for number, page in enumerate(reader.pages, start=1):
        walk(page.get("/Resources"), number)
        contents = page.get("/Contents")
        if contents is not None:
            parts = contents if isinstance(contents.get_object(), list) else [contents]
            sizes[f"text and drawing of p. {number}"] = sum(stored(c) for c in parts)
    return sorted(sizes.items(), key=lambda item: -item[1])


def main_matter_start(document: weasyprint.Document, brochure: Brochure) -> int:
    """The index of the page where the first part begins: folio 1 in arabic numerals."""
    first = brochure.parts[0].id
    return next(i for i, page in enumerate(document.pages) if first in page.anchors)


def document_pages(document: weasyprint.Document, brochure: Brochure) -> dict[str, dict]:
    """Where each document of the brochure stands: its page labels and how many pages it takes."""
    labels = _labels(len(document.pages), main_matter_start(document, brochure))
    layout = {
        id_: {"pages": len(span), "labels": labels[span.start : span.stop]}
        for id_, span in _spans(document, brochure).items()
    }
    for item, lines in zip(brochure.documents, _title_lines(document), strict=False):
        layout.get(item.id, {})["title_lines"] = lines
    for item in brochure.documents:
        if item.id in layout:
            layout[item.id] |= {
                "title": item.title,
                "source": [item.source.path, item.source.line],
            }
    studies = [d.id for d in brochure.documents if d.kind == "case-study"]
    for id_, height in zip(studies, _heights(document, "facts"), strict=False):
        layout.get(id_, {})["facts_mm"] = round(height * 25.4 / 96, 1)
    # The notes pages the layout added before the back cover (brochure/parts.py: padding).
    first = {id_: i for i, p in reversed(list(enumerate(document.pages))) for id_ in p.anchors}
    if "notes" in first:
        span = range(first["notes"], first.get("back-cover", len(document.pages)))
        layout["notes"] = {
            "pages": len(span),
            "labels": labels[span.start : span.stop],
            "added": "ruled notes pages before the back cover: the page count a multiple of 4",
        }
    return layout


def _spans(document: weasyprint.Document, brochure: Brochure) -> dict[str, range]:
    """The page indexes each document of the brochure takes, from the anchors on the pages.

    A document ends where anything next begins: another document, a part's divider or the
    back cover.
    """
    ids = [d.id for d in brochure.documents] + [p.id for p in brochure.parts]
    ids += ["notes", "back-cover"]
    starts: dict[str, int] = {}
    for index, page in enumerate(document.pages):
        for id_ in ids:
            if id_ in page.anchors:
                starts.setdefault(id_, index)
    ordered = sorted(starts.items(), key=lambda item: item[1])
    ends = [start for _, start in ordered[1:]] + [len(document.pages)]
    documents = {d.id for d in brochure.documents}
    return {
        id_: range(start, max(start + 1, end))
        for (id_, start), end in zip(ordered, ends, strict=True)
        if id_ in documents
    }


_TITLES = {"chapter__title", "tool__title", "case__title"}
_INLINE = {"LineBox", "TextBox", "InlineBox"}


def _boxes(document: weasyprint.Document):
    """Every laid-out box that stands for an element with a class, in document order."""
    for page in document.pages:
        stack = [page._page_box]  # WeasyPrint's box tree: the only record of line breaks
        while stack:
            box = stack.pop()
            element = getattr(box, "element", None)
            if element is not None and element.get("class"):
                yield box, element
            stack.extend(reversed(getattr(box, "children", None) or []))


def _title_lines(document: weasyprint.Document) -> list[int]:
    """How many lines each document title is set on, in reading order."""
    counts: dict[int, int] = {}
    for box, element in _boxes(document):
        if _TITLES & set(element.get("class").split()) and type(box).__name__ == "LineBox":
            counts[id(element)] = counts.get(id(element), 0) + 1
    return list(counts.values())


def _heights(document: weasyprint.Document, css_class: str) -> list[float]:
    heights: dict[int, float] = {}
    for box, element in _boxes(document):
        if css_class in element.get("class").split() and type(box).__name__ not in _INLINE:
            heights[id(element)] = heights.get(id(element), 0) + box.height
    return list(heights.values())


def _labels(count: int, main_start: int) -> list[str]:
    roman = ["i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii"]
    return [roman[i] if i < main_start else str(i - main_start + 1) for i in range(count)]


def _finisher(
    brochure: Brochure,
    main_start: int,
    identifier: bytes,
    first_label: int = 1,
    *,
    pdf_x: bool = False,
) -> Callable[[weasyprint.Document, pydyf.PDF], None]:
    def add(document: weasyprint.Document, pdf: pydyf.PDF) -> None:
        # Page labels: the viewer's page box then shows the folio printed on the page.
        labels = pydyf.Array([0, pydyf.Dictionary({"S": "/r"})]) if main_start else pydyf.Array()
        labels += [main_start, pydyf.Dictionary({"S": "/D", "St": first_label})]
        pdf.catalog["PageLabels"] = pydyf.Dictionary({"Nums": labels})
        pdf.catalog["ViewerPreferences"] = pydyf.Dictionary({"DisplayDocTitle": "true"})
        metadata = pydyf.Stream(
            [_xmp(brochure, identifier, pdf_x)], {"Type": "/Metadata", "Subtype": "/XML"}
        )
        pdf.add_object(metadata)
        pdf.catalog["Metadata"] = metadata.reference

    return add


def _xmp(brochure: Brochure, identifier: bytes, pdf_x: bool = False) -> bytes:
    """XMP metadata: what the document info says, plus the language and the keywords as a bag;
    for a PDF/X-4 file, its identification (brochure/printing.py)."""
    rdf = Element(_q("rdf:RDF"))
    about = SubElement(rdf, _q("rdf:Description"), {_q("rdf:about"): ""})
    _alt(about, "dc:title", brochure.title, brochure.lang)
    _alt(about, "dc:description", brochure.subtitle, brochure.lang)
    _list(about, "dc:creator", "rdf:Seq", [brochure.publisher])
    _list(about, "dc:publisher", "rdf:Bag", [brochure.publisher])
    _list(about, "dc:language", "rdf:Bag", [brochure.lang])
    _list(about, "dc:subject", "rdf:Bag", list(brochure.themes.values()))
    date = brochure.edition.isoformat()
    for name, value in (
        ("dc:format", "application/pdf"),
        ("pdf:Keywords", ", ".join(brochure.themes.values())),
        ("pdf:Producer", f"WeasyPrint {weasyprint.__version__}"),
        ("xmp:CreatorTool", "brochure pipeline (WeasyPrint)"),
        ("xmp:CreateDate", date),
        ("xmp:ModifyDate", date),
        ("xmp:MetadataDate", date),
        ("xmpMM:DocumentID", f"uuid:{_uuid(identifier)}"),
        *((("xmpMM:InstanceID", f"uuid:{_uuid(identifier)}"),) if pdf_x else ()),
        *(printing.XMP_PDF_X4.items() if pdf_x else ()),
    ):
        SubElement(about, _q(name)).text = value
    meta = Element(_q("x:xmpmeta"))
    meta.append(rdf)
    return (
        b'<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        + tostring(meta, encoding="utf-8", xml_declaration=False)
        + b'\n<?xpacket end="r"?>'
    )


def _alt(parent: Element, name: str, text: str, lang: str) -> None:
    alt = SubElement(SubElement(parent, _q(name)), _q("rdf:Alt"))
    SubElement(alt, _q("rdf:li"), {"xml:lang": "x-default"}).text = text
    if lang:
        SubElement(alt, _q("rdf:li"), {"xml:lang": lang}).text = text


def _list(parent: Element, name: str, kind: str, items: list[str]) -> None:
    container = SubElement(SubElement(parent, _q(name)), _q(kind))
    for item in items:
        SubElement(container, _q("rdf:li")).text = item


def _q(name: str) -> str:
    prefix, local = name.split(":")
    return f"{{{_NS[prefix]}}}{local}"


def _identifier(brochure: Brochure) -> bytes:
    """A PDF /ID that is the same for the same edition, so rebuilds are byte-identical."""
    key = f"{brochure.slug}/{brochure.lang}/{brochure.edition.isoformat()}"
    return hashlib.sha256(key.encode()).hexdigest()[:32].encode()


def _uuid(identifier: bytes) -> str:
    h = identifier.decode()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def handouts(
    document: weasyprint.Document,
    brochure: Brochure,
    out_dir: Path,
    written_before: dict[tuple, bytes] | None = None,
) -> list[Path]:
    """One PDF per case study and technical tool, cut from the finished layout, written as
    `out_dir/handouts/<lang>/<id>.pdf` (the build passes its staging folder).

    No second typesetting: WeasyPrint writes a subset of the laid-out pages with their tags,
    language and bookmarks (splitting the finished file with pypdf would lose all three). Links
    to pages outside the handout are dropped; their text stays.

    `written_before` (kept by `watch`) remembers each handout's bytes by the very page objects
    it was cut from, its first folio and its metadata: a handout whose pages were not laid out
    again is not written again.
    """
    main_start = main_matter_start(document, brochure)
    spans = _spans(document, brochure)
    written = []
    used: dict[tuple, bytes] = {}
    for item in brochure.documents:
        if item.kind not in ("case-study", "tool") or item.id not in spans:
            continue
        first, last = spans[item.id].start, spans[item.id].stop
        pages = [
            _without_outside_links(p, document.pages[first:last])
            for p in document.pages[first:last]
        ]
        title = typography(f"{item.title} — {brochure.title}", brochure.lang)
        description = getattr(item, "summary", None) or brochure.subtitle
        key = (
            item.id,
            tuple(document.pages[first:last]),  # the page objects themselves: kept alive here
            first - main_start,
            title,
            description,
            brochure.lang,
            brochure.edition,
        )
        pdf = (written_before or {}).get(key)
        if pdf is None:
            handout = document.copy(pages)
            handout.metadata = copy.copy(document.metadata)
            handout.metadata.title = title
            handout.metadata.description = description
            edition = brochure.model_copy(update={"title": title})
            identifier = _identifier(edition)
            pdf = handout.write_pdf(
                finisher=_finisher(edition, 0, identifier, first_label=first - main_start + 1),
                pdf_identifier=identifier,
                pdf_tags=True,
            )
            source = typography(f"{brochure.title} ({brochure.publisher})", brochure.lang)
            pdf = tagging.accessible(pdf, brochure, source=source)
        used[key] = pdf
        path = out_dir / "handouts" / brochure.lang / f"{item.id}.pdf"
        write_atomically(path, pdf)
        written.append(path)
    if written_before is not None:  # only this build's: the pages of older layouts can go
        written_before.clear()
        written_before.update(used)
    return written


def _without_outside_links(page, pages: list) -> object:
    """A copy of `page`, cut at the trim, whose internal links all point inside `pages`."""
    inside = {anchor for p in pages for anchor in p.anchors}
    kept = printing.trimmed_page(page)
    kept.links = [link for link in page.links if link[0] != "internal" or link[1] in inside]
    return kept
