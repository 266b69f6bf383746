"""Print production: one layout -> the screen PDF cut at the trim, the print PDF with its bleed,
crop marks and page boxes.

Every edition is laid out with the 3 mm bleed of styles/print.css (imported by brochure.css),
so the screen and print variants share one layout and the pages are the same in both; a
variant says which it is with `bleed:` in the manifest.

- The screen PDF, the handouts and the previews are written from pages whose bleed is set to
  nothing (`trimmed`): their MediaBox is the A4 trim, and whatever the pages paint in the bleed
  falls outside it.
- The print PDF keeps the bleed. WeasyPrint's own `marks: crop` draws 1.4 mm marks inside the
  bleed, and only on pages that have a background; `crop_marks` instead draws them on every
  page, outside the bleed (`MARK_OFFSET_MM` from the trim, `MARK_LENGTH_MM` long), on a
  MediaBox grown by `SLUG_MM` on every side to hold them. TrimBox (the A4 trim) and BleedBox
  (the trim and the bleed) are written as WeasyPrint measured them. Its pages carry no links
  (`without_links`): a print file is not clicked, and PDF/X allows no annotation on the page.
- With the variant's `output_intent` (FOGRA39), the print PDF is a PDF/X-4 file (`pdf_x4`): the
  CMYK output profile of that print condition (assets/icc/, its origin and licence in the
  README there) as its GTS_PDFX output intent, every RGB colour tagged sRGB (WeasyPrint draws
  in DeviceRGB, which PDF/X-4 refuses untagged), no image interpolation, `/Trapped /False`,
  PDF 1.6, and the XMP identification (`XMP_PDF_X4`, written by brochure/finish.py).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

import pydyf
import weasyprint

from .model import Variant

__all__ = [
    "MARK_LENGTH_MM",
    "MARK_OFFSET_MM",
    "MARK_WIDTH_PT",
    "OUTPUT_INTENTS",
    "SLUG_MM",
    "XMP_PDF_X4",
    "OutputIntent",
    "crop_marks",
    "pdf_x4",
    "prepare",
    "trimmed",
    "trimmed_page",
    "without_links",
]

MM = 72 / 25.4  # PDF points in a millimetre
MARK_OFFSET_MM = 5.0  # from the trim to a mark's inner end: past the 3 mm bleed, 2 mm clear
MARK_LENGTH_MM = 6.0
MARK_WIDTH_PT = 0.25  # a hairline, as printers draw them
SLUG_MM = 13.0  # the MediaBox past the trim on every side: the marks and 2 mm around them


Finisher = Callable[[weasyprint.Document, pydyf.PDF], None]


def prepare(
    document: weasyprint.Document, variant: Variant, icc_dir: Path | None
) -> tuple[weasyprint.Document, list[Finisher], str | None]:
    """What a variant makes of the laid-out pages: the pages to write (cut at the trim, or with
    their bleed and without links), the finishers to add (crop marks, PDF/X-4) and the PDF
    version (1.6 for PDF/X-4, else None: WeasyPrint's own)."""
    finishers: list[Finisher] = []
    if variant.bleed:
        finishers.append(crop_marks())
    else:
        document = trimmed(document)
    if variant.bleed or variant.output_intent:
        document = without_links(document)
    if variant.output_intent is None:
        return document, finishers, None
    if icc_dir is None:
        raise ValueError("a PDF/X variant needs the folder of its ICC profiles")
    finishers.append(pdf_x4(OUTPUT_INTENTS[variant.output_intent], icc_dir))
    return document, finishers, "1.6"


def trimmed_page(page: weasyprint.Page) -> weasyprint.Page:
    """A shallow copy of `page` written without its bleed: its MediaBox is the trim."""
    cut = copy.copy(page)
    cut.bleed = dict.fromkeys(page.bleed, 0)
    return cut


def trimmed(document: weasyprint.Document) -> weasyprint.Document:
    """`document` with every page cut at the trim (the screen PDF, previews)."""
    return document.copy([trimmed_page(page) for page in document.pages])


def without_links(document: weasyprint.Document) -> weasyprint.Document:
    """`document` whose pages carry no links (the print PDF): the anchors, and so the outline,
    stay."""
    pages = []
    for page in document.pages:
        kept = copy.copy(page)
        kept.links = []
        pages.append(kept)
    return document.copy(pages)


def crop_marks() -> Finisher:
    """A WeasyPrint finisher: crop marks on every page outside its bleed, and the MediaBox
    grown to hold them. The page's own drawing is kept apart from them by q/Q, so whatever
    state it leaves (WeasyPrint's flipped coordinates) does not move the marks."""

    def add(document: weasyprint.Document, pdf: pydyf.PDF) -> None:
        save = pydyf.Stream([b"q"])
        pdf.add_object(save)
        drawn: dict[tuple[float, ...], pydyf.Stream] = {}  # one stream per trim size
        for number in pdf.pages["Kids"][::3]:
            page = pdf.objects[number]
            trim = tuple(float(v) for v in page["TrimBox"])
            if trim not in drawn:
                drawn[trim] = pydyf.Stream([_marks(trim)], compress=True)
                pdf.add_object(drawn[trim])
            left, bottom, right, top = trim
            slug = SLUG_MM * MM
            page["MediaBox"] = pydyf.Array([left - slug, bottom - slug, right + slug, top + slug])
            page["Contents"] = pydyf.Array(
                [save.reference, page["Contents"], drawn[trim].reference]
            )

    return add


def _marks(trim: tuple[float, ...]) -> bytes:
    """The eight crop marks of a page whose trim is `trim` (left, bottom, right, top), as PDF
    drawing: each on the line of a trim edge, from `MARK_OFFSET_MM` to `MARK_OFFSET_MM` +
    `MARK_LENGTH_MM` outside the trim. Drawn in all four inks (registration), as an artifact
    (they are not part of the text)."""
    left, bottom, right, top = trim
    near, far = MARK_OFFSET_MM * MM, (MARK_OFFSET_MM + MARK_LENGTH_MM) * MM
    lines = []
    for x, outward in ((left, -1), (right, 1)):
        for y in (bottom, top):
            lines.append(((x + outward * near, y), (x + outward * far, y)))  # horizontal
    for y, outward in ((bottom, -1), (top, 1)):
        for x in (left, right):
            lines.append(((x, y + outward * near), (x, y + outward * far)))  # vertical
    path = " ".join(f"{x0:.3f} {y0:.3f} m {x1:.3f} {y1:.3f} l" for (x0, y0), (x1, y1) in lines)
    return f"Q /Artifact BMC q {MARK_WIDTH_PT} w 0 J [] 0 d 1 1 1 1 K {path} S Q EMC".encode()


@dataclass(frozen=True)
class OutputIntent:
    """A print condition a PDF/X file is made for, as its output intent names it."""

    identifier: str  # OutputConditionIdentifier: the characterization, as registered at the ICC
    condition: str  # OutputCondition: the same, for people
    profile: str  # the CMYK output profile, in assets/icc/


OUTPUT_INTENTS = {
    "FOGRA39": OutputIntent(
        "FOGRA39",
        "Offset printing, ISO 12647-2:2004/Amd 1, coated paper (paper type 1 or 2, 115 g/m2)",
        "FOGRA39L-argyll.icc",
    ),
}
REGISTRY = "http://www.color.org"  # where the characterization's identifier is registered

# What brochure/finish.py adds to the XMP metadata of a PDF/X-4 file (ISO 15930-7: the version
# key, the trapping state the document info also gives, and the media-management identifiers
# besides DocumentID).
XMP_PDF_X4 = {
    "pdfxid:GTS_PDFXVersion": "PDF/X-4",
    "pdf:Trapped": "False",
    "xmpMM:VersionID": "1",
    "xmpMM:RenditionClass": "default",
}


def pdf_x4(intent: OutputIntent, icc_dir: Path) -> Finisher:
    """A WeasyPrint finisher that makes the PDF a PDF/X-4 file for the print condition `intent`
    (the PDF version, 1.6, is WeasyPrint's `pdf_version` option; the XMP, `XMP_PDF_X4`)."""
    cmyk = (icc_dir / intent.profile).read_bytes()
    srgb = (files("weasyprint") / "pdf" / "sRGB2014.icc").read_bytes()

    def add(document: weasyprint.Document, pdf: pydyf.PDF) -> None:
        output = pydyf.Stream([cmyk], pydyf.Dictionary({"N": 4}), compress=True)
        tagged = pydyf.Stream([srgb], pydyf.Dictionary({"N": 3}), compress=True)
        pdf.add_object(output)
        pdf.add_object(tagged)
        pdf.catalog["OutputIntents"] = pydyf.Array(
            [
                pydyf.Dictionary(
                    {
                        "Type": "/OutputIntent",
                        "S": "/GTS_PDFX",
                        "OutputConditionIdentifier": pydyf.String(intent.identifier),
                        "OutputCondition": pydyf.String(intent.condition),
                        "RegistryName": pydyf.String(REGISTRY),
                        "Info": pydyf.String(intent.condition),
                        "DestOutputProfile": output.reference,
                    }
                )
            ]
        )
        pdf.info["Trapped"] = "/False"
        rgb = pydyf.Array(["/ICCBased", tagged.reference])
        for obj in list(pdf.objects):
            _tag_rgb(obj.extra if isinstance(obj, pydyf.Stream) else obj, rgb)

    return add


def _tag_rgb(value: object, rgb: pydyf.Array) -> None:
    """Every DeviceRGB in `value` (a PDF object, walked inside) made sRGB: the resources'
    colour spaces get a DefaultRGB, which tags the colours the page's drawing sets (`rg`);
    images, shadings and transparency groups name the sRGB profile themselves. Images are not
    interpolated (PDF/X)."""
    if isinstance(value, dict):
        if "lab-d50" in value:  # WeasyPrint's colour spaces, shared by every resource dictionary
            value["DefaultRGB"] = rgb
        for key in ("ColorSpace", "CS"):
            if value.get(key) == "/DeviceRGB":
                value[key] = rgb
        if value.get("Subtype") == "/Image":
            value["Interpolate"] = "false"
        for item in value.values():
            _tag_rgb(item.extra if isinstance(item, pydyf.Stream) else item, rgb)
    elif isinstance(value, list):
        for item in value:
            _tag_rgb(item.extra if isinstance(item, pydyf.Stream) else item, rgb)
