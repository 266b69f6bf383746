"""PDFs a watch session shows -> their pages as PNG images, in the output folder's preview area.

In: a PDF the build just wrote (the edited part's preview, or the edition) and its page count.
Out: `Pages`, and a folder `<out>/preview/pages/<key>/` holding a link to (or a copy of) that
PDF, so the next build replacing it does not change what the page shows, and the page images
rendered from it with pypdfium2 when the browser first asks for them (`image`): a part's pages
large, the edition's as thumbnails. Only this folder is ever served. A session keeps the
current and the previous PDF of each kind (a page still showing the previous one may ask for
its images) and removes its folders when it ends; one starting removes what killed ones left.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import threading
from pathlib import Path

import pypdfium2 as pdfium

from ..outputs import write_atomically
from .board import Pages

__all__ = ["KEY", "SCALES", "Shelf"]

KEY = re.compile(r"[0-9a-f]{8}-(?:part|edition)-[0-9]{1,6}")
SCALES = {"part": 1.5, "edition": 1.0}  # pixels per point: a part to read, thumbnails
_KEEP = 2  # PDFs of each kind kept: the current one, and the one a page may still show
_PDFIUM = threading.Lock()  # pdfium is not thread-safe: one call at a time in this process


class Shelf:
    """The preview area's PDFs and page images for one watch session."""

    def __init__(self, out_dir: Path, session: str):
        self.root = out_dir / "preview" / "pages"
        self.session = session
        self._count = 0
        self._kept: dict[str, list[str]] = {"part": [], "edition": []}
        self._open: dict[str, pdfium.PdfDocument] = {}
        self._lock = threading.Lock()
        if self.root.is_dir():  # what sessions that were killed left
            for folder in self.root.iterdir():
                if KEY.fullmatch(folder.name):
                    shutil.rmtree(folder, ignore_errors=True)

    def put(self, kind: str, name: str, pdf: Path, count: int, seconds: float) -> Pages:
        """Keep `pdf` (just written by a build) for the page; returns what the page shows."""
        with self._lock:
            self._count += 1
            key = f"{self.session}-{kind}-{self._count}"
        folder = self.root / key
        folder.mkdir(parents=True, exist_ok=True)
        kept = folder / f"{kind}.pdf"
        try:
            os.link(pdf, kept)  # the build replaces its PDF by a rename: this one stays
        except OSError:
            shutil.copyfile(pdf, kept)
        with _PDFIUM:
            document = pdfium.PdfDocument(kept)
            try:
                size = document[0].get_size() if len(document) else (595.0, 842.0)
            finally:
                document.close()
        self._keep(kind, key)
        return Pages(key, kind, name, count, size, seconds, str(pdf))

    def pdf(self, key: str) -> Path | None:
        """The kept PDF of `key`, if it is still kept."""
        if not KEY.fullmatch(key):
            return None
        path = self.root / key / f"{_kind(key)}.pdf"
        return path if path.is_file() else None

    def image(self, key: str, number: int) -> Path | None:
        """Page `number` (from 1) of `key`'s PDF as a PNG, rendered on first use; None when
        there is no such page (or it is no longer kept)."""
        pdf = self.pdf(key)
        if pdf is None or number < 1:
            return None
        png = pdf.parent / f"page-{number}.png"
        if png.is_file():
            return png
        with _PDFIUM:
            try:
                document = self._document(key, pdf)
            except (OSError, pdfium.PdfiumError):
                return None
            if number > len(document):
                return None
            bitmap = document[number - 1].render(scale=SCALES[_kind(key)])
            picture = bitmap.to_pil()
        data = io.BytesIO()
        picture.save(data, format="PNG", compress_level=1)  # local: fast beats small
        try:
            write_atomically(png, data.getvalue())
        except OSError:  # removed meanwhile: the page has moved on
            return None
        return png

    def close(self) -> None:
        """The session ends: its folders go."""
        with _PDFIUM, self._lock:
            for document in self._open.values():
                document.close()
            self._open.clear()
            for keys in self._kept.values():
                for key in keys:
                    shutil.rmtree(self.root / key, ignore_errors=True)
                keys.clear()
        for folder in (self.root, self.root.parent):
            try:
                folder.rmdir()  # only if nothing else is left there
            except OSError:
                break

    def _document(self, key: str, pdf: Path) -> pdfium.PdfDocument:
        """`key`'s PDF, opened once (the caller holds _PDFIUM)."""
        document = self._open.get(key)
        if document is None:
            document = self._open[key] = pdfium.PdfDocument(pdf)
        return document

    def _keep(self, kind: str, key: str) -> None:
        with _PDFIUM, self._lock:
            kept = self._kept[kind]
            kept.append(key)
            while len(kept) > _KEEP:
                old = kept.pop(0)
                document = self._open.pop(old, None)
                if document is not None:
                    document.close()
                shutil.rmtree(self.root / old, ignore_errors=True)


def _kind(key: str) -> str:
    return key.split("-")[1]
