"""The XMP metadata the finishing adds: the PDF/UA-1 claim and a handout's dc:source."""

from __future__ import annotations

import re
from xml.sax.saxutils import escape

import pikepdf

__all__ = ["add_xmp", "dc_source", "drop_claim", "pdfua_claim", "pdfua_claimed"]

PDFUA_NS = "http://www.aiim.org/pdfua/ns/id/"


def pdfua_claimed(document: pikepdf.Pdf) -> bool:
    """Whether the XMP metadata claims PDF/UA-1."""
    xmp = document.Root.Metadata.read_bytes() if "/Metadata" in document.Root else b""
    return b"pdfuaid:part>1<" in xmp


def pdfua_claim() -> bytes:
    return (
        f'<rdf:Description rdf:about="" xmlns:pdfuaid="{PDFUA_NS}">'
        "<pdfuaid:part>1</pdfuaid:part></rdf:Description>"
    ).encode()


def dc_source(source: str) -> bytes:
    return (
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<dc:source>{escape(source)}</dc:source></rdf:Description>"
    ).encode()


def drop_claim(document: pikepdf.Pdf) -> None:
    """Remove a PDF/UA claim written before (a file finished again is judged again)."""
    if "/Metadata" in document.Root:
        xmp = document.Root.Metadata.read_bytes()
        kept = re.sub(
            rb"<rdf:Description[^>]*pdfuaid[^>]*>.*?</rdf:Description>", b"", xmp, flags=re.S
        )
        if kept != xmp:
            document.Root.Metadata.write(kept)


def add_xmp(document: pikepdf.Pdf, description: bytes) -> None:
    """Add an rdf:Description to the document's XMP packet."""
    if "/Metadata" not in document.Root:
        return
    xmp = document.Root.Metadata.read_bytes()
    closing = xmp.rfind(b"</rdf:RDF>")
    if closing < 0:
        return
    document.Root.Metadata.write(xmp[:closing] + description + xmp[closing:])
