"""An image the content names -> the problems that keep it out of the brochure; nothing decoded.

`judge` takes the path (or the URL as the author wrote it) of one image, the place in the
sources that names it, and the limits, and returns every problem with that place, never raising:
the file must be a regular file inside the content folder; its real type, read from its first
bytes, must be PNG, JPEG, GIF, WebP or SVG and agree with its extension; a raster image is
measured from its header (before any pixel is decoded) against a pixel limit, and refused when
truncated or corrupt; an SVG is parsed with defusedxml (no DTD entities, nothing external) and
every reference in it (`href`, `xlink:href`, `url()` in attributes and `<style>`, `@import`)
must be a fragment, a `data:` image, or a relative path to a file inside the content folder,
which is judged in turn. Scripts and event attributes are refused, and so are SVGs that would
expand, through `<use>` and `url(#id)`, into more elements or deeper nesting than WeasyPrint
can draw.

The typesetting sandbox (`brochure/typeset.py`) stays the second wall; this is the first, with
file and line, in `check --quick`.
"""

from __future__ import annotations

import base64
import binascii
import io
import math
import re
import struct
import warnings
import xml.etree.ElementTree as ET
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, unquote_to_bytes, urlsplit

import tinycss2
from defusedxml import DefusedXmlException, EntitiesForbidden
from defusedxml.ElementTree import DefusedXMLParser
from PIL import Image, ImageFile

from .errors import Location, Problem

__all__ = ["ImageLimits", "judge"]

MEGABYTE = 1024 * 1024


@dataclass(frozen=True, slots=True)
class ImageLimits:
    """What one image may cost. `megapixels` is the manifest's `limits: image_megapixels`."""

    megapixels: float = 40  # width × height of a raster image, in millions of pixels
    file_megabytes: float = 100  # a raster file (or data: URL) on disk
    svg_megabytes: float = 5  # an SVG file, before parsing
    svg_elements: int = 100_000  # elements WeasyPrint would draw, with <use> expanded
    svg_depth: int = 100  # nesting WeasyPrint would recurse through, with <use> expanded
    references: int = 8  # an SVG that refers to an SVG that refers to ...


def judge(
    src: Path | str,
    where: Location,
    field: str,
    content_dir: Path,
    limits: ImageLimits = ImageLimits(),
) -> list[Problem]:
    """Every problem with the image `src`, each located at `where` / `field`; [] when it may go in.

    `src` is either a `Path`, the file as the loader found it (`content_dir / "images/x.png"`),
    or a `str`: a reference as the author wrote it in Markdown or front matter, relative to
    `content_dir`, with URL syntax (percent-escapes; `https:`, `file:`, `data:` ... judged by
    the same rule as the references inside an SVG).
    """
    judge = _Judge(where, field, content_dir, limits)
    try:
        if isinstance(src, str):
            judge.reference(src, judge.root, "", top=True)
        else:
            judge.file(src, "")
    except Exception as error:  # the last wall: a problem, never a traceback
        judge.add("unreadable-image", f"{_short(str(src))} cannot be read: {_said(error)}")
    return judge.problems


# --- what the first bytes say -------------------------------------------------------------------

_EXTENSIONS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".gif": "GIF", ".webp": "WebP"}
_EXTENSIONS[".svg"] = "SVG"
_SUFFIX = {"PNG": ".png", "JPEG": ".jpg", "GIF": ".gif", "WebP": ".webp", "SVG": ".svg"}
_MIME = {"image/png": "PNG", "image/jpeg": "JPEG", "image/gif": "GIF", "image/webp": "WebP"}
_MIME["image/svg+xml"] = "SVG"
# Formats people send that WeasyPrint or a PDF cannot take as they are, and what to do instead.
_OTHERS = (
    (b"%PDF", "a PDF document", "export the page as PNG or JPEG (or the drawing as SVG)"),
    (b"II*\x00", "a TIFF image", "convert it to JPEG (photos) or PNG"),
    (b"MM\x00*", "a TIFF image", "convert it to JPEG (photos) or PNG"),
    (b"BM", "a BMP image", "convert it to PNG"),
    (b"8BPS", "a Photoshop document", "export it as JPEG (photos) or PNG"),
    (b"\x00\x00\x01\x00", "a Windows icon", "convert it to PNG"),
    (b"\x1f\x8b", "a gzip-compressed file (a .svgz?)", "save it as a plain, uncompressed SVG"),
    (b"PK\x03\x04", "a ZIP archive (a Word or OpenDocument file?)", "export the image itself"),
    (b"%!PS", "a PostScript / EPS file", "export it as SVG or PNG"),
)
_FTYP = {b"heic": "a HEIC photo", b"heix": "a HEIC photo", b"mif1": "a HEIF image"}
_FTYP |= {b"avif": "an AVIF image", b"avis": "an AVIF image"}


def _sniff(head: bytes) -> str:
    """'PNG', 'JPEG', 'GIF', 'WebP', 'XML' (an SVG candidate) or a description of another type."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WebP"
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if text.startswith(b"<") or head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "XML"
    if head[4:8] == b"ftyp" and head[8:12] in _FTYP:
        return _FTYP[head[8:12]]
    for magic, what, _ in _OTHERS:
        if head.startswith(magic):
            return what
    text = head.decode("utf-8", errors="replace")[:-1]  # the last character may be cut
    if "\ufffd" in text or any(c < " " and c not in "\t\r\n\f" for c in text):
        return "not an image format we know"
    return "a text file"


def _advice(kind: str) -> str:
    for _, what, advice in _OTHERS:
        if what == kind:
            return advice
    if kind in _FTYP.values():
        return "convert it to JPEG"
    return "export the picture as PNG, JPEG or SVG and point to that file"


# --- the judge ------------------------------------------------------------------------------------


@dataclass
class _Judge:
    where: Location
    field: str
    content_dir: Path
    limits: ImageLimits
    problems: list[Problem] = field(default_factory=list)
    seen: set[Path] = field(default_factory=set)  # every file judged in this call, once
    chain: list[Path] = field(default_factory=list)  # the files being judged, outermost first
    depth: int = 0  # SVGs (files or data: URLs) being judged, one inside another
    root: Path = Path()

    def __post_init__(self) -> None:
        self.root = self.content_dir.resolve()

    def add(self, kind: str, message: str) -> None:
        self.problems.append(Problem(self.where, self.field, kind, message))

    def show(self, path: Path) -> str:
        """A path as the author knows it: relative to the content folder when it is inside."""
        absolute = path.absolute()
        for base in (self.content_dir.absolute(), self.root):
            if absolute.is_relative_to(base):
                return absolute.relative_to(base).as_posix()
        return str(path)

    # A reference: the text of a Markdown image, image.src, or an href / url() in an SVG.

    def reference(self, ref: str, base: Path, ctx: str, top: bool = False) -> str | None:
        """Judge one reference; the fragment id when it is a same-document `#id`."""
        ref = ref.strip()
        quoted = ref if len(ref) <= 80 else ref[:77] + "..."
        if not ref:
            self.add("bad-reference", f"{ctx}an empty reference; give a file name or remove it")
            return None
        if ref.startswith("#"):
            if top:
                self.add("bad-reference", f"{ctx}{quoted!r} is not a file; give an image's path")
                return None
            return ref[1:]
        parts = urlsplit(ref)
        scheme = parts.scheme.lower()
        if scheme == "data":
            self.data_url(ref, base, ctx)
            return None
        if scheme in ("http", "https", "ftp") or (not scheme and parts.netloc):
            self.add(
                "remote-reference",
                f"{ctx}{quoted!r} is on the web, and the brochure never fetches anything: "
                "download the file into content/images/ and refer to it by a relative path, "
                "or remove the reference",
            )
            return None
        if scheme == "file":
            self.add(
                "file-reference",
                f"{ctx}{quoted!r} points at a file on one computer: copy the file into "
                "content/images/ and refer to it by a relative path",
            )
            return None
        if len(scheme) == 1 or ref.startswith(("/", "\\")):  # C:\..., /home/...
            self.add(
                "absolute-path",
                f"{ctx}{quoted!r} is an absolute path: copy the file into content/images/ "
                "and refer to it by a path relative to "
                + ("content/" if top else "the SVG's folder"),
            )
            return None
        if scheme:
            self.add(
                "bad-reference",
                f"{ctx}{quoted!r}: {scheme}: references are not allowed in an image; "
                "only files inside content/ (by relative path), data: images and #fragments",
            )
            return None
        self.file(base / unquote(parts.path), ctx, reference=ref)
        return None

    def data_url(self, url: str, base: Path, ctx: str) -> None:
        header, comma, payload = url[5:].partition(",")
        params = [p.strip().lower() for p in header.split(";")]
        mime = params[0] or "text/plain"
        shown = f"the data: URL ({mime})"
        if not comma or mime not in _MIME:
            self.add(
                "bad-data-url",
                f"{ctx}{shown}: only images ({', '.join(_MIME)}) may be embedded as data: URLs",
            )
            return
        if len(payload) > self.limits.file_megabytes * MEGABYTE * 4 / 3:
            self.add("file-too-large", f"{ctx}{shown} is {_mb(len(payload))}; {self.shrink()}")
            return
        try:
            if params[-1] == "base64":
                data = base64.b64decode(re.sub(r"\s+", "", unquote(payload)), validate=True)
            else:
                data = unquote_to_bytes(payload)
        except (binascii.Error, ValueError) as error:
            self.add("bad-data-url", f"{ctx}{shown} cannot be decoded: {_said(error)}")
            return
        self.content(data, _MIME[mime], shown, base, ctx, from_mime=True)

    def shrink(self) -> str:
        return (
            f"the limit is {self.limits.file_megabytes:g} MB: export it smaller "
            "(JPEG for photos, at most a few thousand pixels wide)"
        )

    # A file on disk.

    def file(self, path: Path, ctx: str, reference: str | None = None) -> None:
        shown = self.show(path)
        try:
            resolved = path.resolve()
        except (OSError, RuntimeError, ValueError) as error:  # a symlink loop, a NUL
            self.add("missing-image", f"{ctx}{shown} cannot be followed: {_said(error)}")
            return
        if not resolved.is_relative_to(self.root):
            if path.is_symlink():
                what = f"{shown} is a symbolic link to {resolved}, outside"
            elif reference is not None:
                what = f"{reference!r} leads to {resolved}, outside"
            else:
                what = f"{shown} is outside"
            self.add(
                "outside-content",
                f"{ctx}{what} the content folder {self.content_dir}: copy the image into "
                "the content folder (content/images/) and point to the copy",
            )
            return
        if not resolved.exists():
            dangling = " (a symbolic link to nothing)" if path.is_symlink() else ""
            self.add(
                "missing-image",
                f"{ctx}no image at {shown}{dangling}; put the file there or correct the path "
                f"(relative to {self.content_dir if not ctx else 'the folder of the SVG'})",
            )
            return
        if not resolved.is_file():
            self.add("not-a-file", f"{ctx}{shown} is not a file; point to an image file")
            return
        if resolved in self.chain:
            self.add(
                "svg-reference-loop",
                f"{ctx}{shown} refers back to itself through its references "
                f"({' → '.join(self.show(p) for p in [*self.chain, resolved])}); remove the loop",
            )
            return
        if resolved in self.seen:
            return
        self.seen.add(resolved)
        expected = _EXTENSIONS.get(path.suffix.lower())
        size = resolved.stat().st_size
        with resolved.open("rb") as stream:
            head = stream.read(64)
            kind = _sniff(head)
            cap = self.limits.svg_megabytes if kind == "XML" else self.limits.file_megabytes
            if size > cap * MEGABYTE:
                what = "SVG" if kind == "XML" else "image"
                self.add(
                    "file-too-large",
                    f"{ctx}{shown} is {_mb(size)}, over the limit of {cap:g} MB for an {what} "
                    "file: "
                    + (
                        "simplify it or export it again (without embedded bitmaps)"
                        if kind == "XML"
                        else "export it smaller (JPEG for photos, a few thousand pixels wide)"
                    ),
                )
                return
            data = head + stream.read()
        self.chain.append(resolved)
        try:
            base = path.absolute().parent  # as WeasyPrint resolves the SVG's own URLs
            self.content(data, expected, shown, base, ctx, suffix=path.suffix)
        finally:
            self.chain.pop()

    # The bytes.

    def content(
        self,
        data: bytes,
        expected: str | None,
        shown: str,
        base: Path,
        ctx: str,
        suffix: str = "",
        from_mime: bool = False,
    ) -> None:
        kind = _sniff(data[:64])
        if self.depth > self.limits.references:
            self.add(
                "svg-reference-chain",
                f"{ctx}{shown} is reached through {self.depth} SVGs that refer to one another, "
                f"over the limit of {self.limits.references}: put the pictures in one SVG",
            )
            return
        if kind == "XML" and len(data) > self.limits.svg_megabytes * MEGABYTE:
            self.add(
                "file-too-large",
                f"{ctx}{shown} is {_mb(len(data))}, over the limit of "
                f"{self.limits.svg_megabytes:g} MB for an SVG: simplify it",
            )
            return
        parsed = None
        if kind == "XML":
            parsed = _parse_svg(data)
            if isinstance(parsed, tuple):
                if expected == "SVG" or parsed[0] != "svg-syntax":
                    self.unparsable(parsed, shown, ctx)
                    return
                kind = "a text file"
            elif not _is_svg(parsed.root):
                if expected == "SVG":
                    self.add(
                        "not-an-svg",
                        f"{ctx}{shown} is XML whose root is <{_local(parsed.root.tag)}>, not "
                        '<svg xmlns="http://www.w3.org/2000/svg">: export the picture as SVG',
                    )
                    return
                kind = f"an XML file (<{_local(parsed.root.tag)}>)"
            else:
                kind = "SVG"
        if kind not in _SUFFIX:
            self.add(
                "unsupported-image",
                f"{ctx}{shown} is {kind}, not an image the brochure can use (PNG, JPEG, GIF, "
                f"WebP or SVG): {_advice(kind)}",
            )
            return
        if expected != kind:
            if from_mime:
                self.add(
                    "wrong-extension",
                    f"{ctx}{shown} holds a {kind} image; write data:{_mime_of(kind)} instead",
                )
            else:
                said = f"{suffix} is not an image extension" if suffix else "it has no extension"
                said = f"not {expected}" if expected else said
                self.add(
                    "wrong-extension",
                    f"{ctx}{shown} is a{'n' if kind == 'SVG' else ''} {kind} file, {said}; "
                    f"rename it to {_renamed(shown, kind)} and change the path to it",
                )
        if isinstance(parsed, _Svg):
            self.depth += 1
            try:
                self.svg(parsed, shown, base, ctx)
            finally:
                self.depth -= 1
        else:
            checks = {"PNG": self.png, "JPEG": self.jpeg, "GIF": self.gif, "WebP": self.webp}
            checks[kind](data, shown, ctx)

    def pixels(self, width: int, height: int, shown: str, ctx: str) -> bool:
        """True when width × height is within the limit; otherwise says how far to shrink."""
        limit = self.limits.megapixels * 1_000_000
        if width * height <= limit:
            return True
        scale = math.sqrt(limit / (width * height))
        self.add(
            "too-many-pixels",
            f"{ctx}{shown} is {width} × {height} px ({width * height / 1e6:.0f} megapixels), "
            f"over the limit of {self.limits.megapixels:g} megapixels: shrink it to at most "
            f"{math.floor(width * scale)} × {math.floor(height * scale)} px (2,000 px across "
            "is sharp in print at the full text width); the manifest's "
            "`limits: image_megapixels` sets the limit",
        )
        return False

    def truncated(self, shown: str, ctx: str, what: str) -> None:
        self.add(
            "truncated-image",
            f"{ctx}{shown} is cut short ({what}): it would print partly blank; copy it again "
            "from the original or export it again",
        )

    def corrupt(self, shown: str, ctx: str, what: str) -> None:
        self.add(
            "corrupt-image",
            f"{ctx}{shown} is damaged ({what}); export it again from the original, or open it "
            "in an image editor and save it as a new file",
        )

    # Rasters: header first, then integrity, never the full pixels.

    def png(self, data: bytes, shown: str, ctx: str) -> None:
        chunks, error = _png_chunks(data)
        header = chunks[0] if chunks else None
        if header is None or header[0] != b"IHDR" or len(header[2]) != 13:
            if error and error[0] == "truncated":
                self.truncated(shown, ctx, error[1])
            else:
                self.corrupt(shown, ctx, "it does not start with a PNG header (IHDR)")
            return
        width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header[2])
        if width == 0 or height == 0 or (colour, depth) not in _PNG_DEPTHS:
            self.corrupt(shown, ctx, f"its header says {width} × {height} px, {depth}-bit")
            return
        if not self.pixels(width, height, shown, ctx):
            return
        if error:
            (self.truncated if error[0] == "truncated" else self.corrupt)(shown, ctx, error[1])
            return
        expected = _png_data_size(width, height, depth, _PNG_CHANNELS[colour], interlace)
        idat = [chunk[2] for chunk in chunks if chunk[0] == b"IDAT"]
        inflated = _inflate(idat, expected)
        if isinstance(inflated, str):
            self.corrupt(shown, ctx, f"its image data cannot be decompressed: {inflated}")
            return
        produced, finished = inflated
        if produced < expected or not finished:
            share = min(99, 100 * produced // max(1, expected))
            self.truncated(shown, ctx, f"its image data stops at {share} % of the picture")
            return
        self.pillow(data, "PNG", shown, ctx, verify=True)

    def jpeg(self, data: bytes, shown: str, ctx: str) -> None:
        size = _jpeg_size(data)
        if isinstance(size, str):
            (self.truncated if "ends" in size else self.corrupt)(shown, ctx, size)
            return
        width, height = size
        if not self.pixels(width, height, shown, ctx):
            return
        if not data.rstrip(b"\x00").endswith(b"\xff\xd9"):
            self.truncated(shown, ctx, "it does not end with the JPEG end marker FF D9")
            return
        self.pillow(data, "JPEG", shown, ctx, verify=True, draft=True)

    def gif(self, data: bytes, shown: str, ctx: str) -> None:
        if len(data) < 13:
            self.truncated(shown, ctx, "it ends inside its header")
            return
        width, height = struct.unpack("<HH", data[6:10])
        if not self.pixels(width, height, shown, ctx):
            return
        if not data.rstrip(b"\x00").endswith(b";"):
            self.truncated(shown, ctx, "it does not end with the GIF trailer")
            return
        self.pillow(data, "GIF", shown, ctx, load=True)

    def webp(self, data: bytes, shown: str, ctx: str) -> None:
        size = _webp_size(data)
        if isinstance(size, str):
            (self.truncated if "ends" in size else self.corrupt)(shown, ctx, size)
            return
        if self.pixels(*size, shown, ctx):
            self.pillow(data, "WEBP", shown, ctx)

    def pillow(
        self,
        data: bytes,
        format: str,
        shown: str,
        ctx: str,
        verify: bool = False,
        draft: bool = False,
        load: bool = False,
    ) -> None:
        """Pillow's own reading of the header (and verify(), a reduced decode) agrees."""
        # WeasyPrint sets LOAD_TRUNCATED_IMAGES when imported, so that a cut file decodes as
        # grey: the judge wants Pillow's error instead, and puts the setting back after.
        tolerant = ImageFile.LOAD_TRUNCATED_IMAGES
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                with Image.open(io.BytesIO(data), formats=[format]) as image:
                    if not self.pixels(image.width, image.height, shown, ctx):
                        return
                    if verify:
                        image.verify()
                if draft or load:
                    with Image.open(io.BytesIO(data), formats=[format]) as image:
                        if draft:  # libjpeg decodes at 1/8 scale: every block, not every pixel
                            wanted = (max(1, image.width // 8), max(1, image.height // 8))
                            image.draft(image.mode, wanted)
                        image.load()
        except Image.DecompressionBombError as error:
            self.add("too-many-pixels", f"{ctx}{shown}: {_said(error)}")
        except Exception as error:
            said = _said(error)
            if "truncated" in said:
                self.truncated(shown, ctx, said)
            else:
                self.corrupt(shown, ctx, said)
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = tolerant

    # SVG: a hardened parse, then every element, attribute and stylesheet.

    def unparsable(self, parsed: tuple[str, str], shown: str, ctx: str) -> None:
        kind, what = parsed
        advice = {
            "svg-entities": "export it again as plain SVG without entities (in Illustrator: "
            "SVG 1.1, no 'Preserve Illustrator Editing'); entities are refused because a few "
            "lines of them can expand to gigabytes",
            "svg-doctype": "remove the [ ... ] block from its <!DOCTYPE> line, or export it "
            "again as plain SVG",
            "svg-syntax": "it is not well-formed XML: export it again",
        }[kind]
        self.add(kind, f"{ctx}{shown} {what}; {advice}")

    def svg(self, parsed: _Svg, shown: str, base: Path, ctx: str) -> None:
        root, lines, instructions = parsed.root, parsed.lines, parsed.instructions
        for target, line in instructions:
            if target.lower() == "xml-stylesheet":
                self.add(
                    "svg-stylesheet",
                    f"{ctx}{shown} line {line}: <?xml-stylesheet ...?> links an outside "
                    "stylesheet, which the brochure does not load: copy its rules into a "
                    "<style> element inside the SVG",
                )
        ids: dict[str, ET.Element] = {}
        refs: dict[int, list[str]] = {}
        depth_seen = 0
        stack = [(root, 1)]
        count = 0
        while stack:
            element, depth = stack.pop()
            count += 1
            depth_seen = max(depth_seen, depth)
            stack.extend((child, depth + 1) for child in element)
            line = lines.get(id(element), 0)
            where = f"{ctx}{shown} line {line}, <{_local(element.tag)}>"
            for name in ("id", "{http://www.w3.org/XML/1998/namespace}id"):
                if name in element.attrib:
                    ids.setdefault(element.attrib[name], element)
            fragments = self.svg_element(element, where, base)
            if fragments:
                refs[id(element)] = fragments
        if depth_seen > self.limits.svg_depth:
            self.add(
                "svg-too-deep",
                f"{ctx}{shown} nests elements {depth_seen} deep, over the limit of "
                f"{self.limits.svg_depth}: flatten its groups (ungroup) and export it again",
            )
            return
        if count > self.limits.svg_elements:
            self.too_many(shown, ctx, count, "")
            return
        self.expansion(root, ids, refs, lines, shown, ctx)

    def svg_element(self, element: ET.Element, where: str, base: Path) -> list[str]:
        """Problems of one element (and the files it refers to); the #ids it refers to."""
        fragments: list[str] = []
        tag = _local(element.tag)
        if tag.lower() in ("script", "handler"):
            self.add(
                "svg-script",
                f"{where}: a script; a printed brochure runs no code: remove the <{tag}> element",
            )
            return fragments
        for name, value in element.attrib.items():
            local = _local(name)
            if "}" not in name and local.lower().startswith("on"):
                self.add(
                    "svg-script",
                    f"{where}: the event attribute {local}={_short(value)!r} is a script; "
                    "remove it",
                )
            elif name == "{http://www.w3.org/XML/1998/namespace}base":
                self.add(
                    "svg-xml-base",
                    f"{where}: xml:base={_short(value)!r} changes where the SVG's references "
                    "point; remove it and write each reference relative to the SVG's folder",
                )
            elif local in ("href", "src"):
                found = self.reference(value, base, f"{where} {local}: ")
                fragments += [found] if found is not None else []
            elif "url" in value.lower() or local == "style":
                for ref in _css_urls(tinycss2.parse_component_value_list(value)):
                    found = self.reference(ref, base, f"{where} {local}: url(): ")
                    fragments += [found] if found is not None else []
        if tag == "style":
            self.stylesheet("".join(element.itertext()), where, base)
        return fragments

    def stylesheet(self, css: str, where: str, base: Path) -> None:
        for rule in tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True):
            if rule.type == "at-rule" and rule.lower_at_keyword == "import":
                self.add(
                    "svg-import",
                    f"{where}: @import {tinycss2.serialize(rule.prelude).strip()} loads another "
                    "stylesheet; copy its rules into this <style> element instead",
                )
                continue
            if rule.type == "at-rule" and rule.lower_at_keyword == "namespace":
                continue  # a namespace name, never fetched
            for ref in _css_urls([rule]):
                self.reference(ref, base, f"{where}: url(): ")

    def expansion(
        self,
        root: ET.Element,
        ids: dict[str, ET.Element],
        refs: dict[int, list[str]],
        lines: dict[int, int],
        shown: str,
        ctx: str,
    ) -> None:
        """What WeasyPrint draws: each element, plus each element a <use> or url(#id) draws."""
        cap = self.limits.svg_elements + 1
        size: dict[int, int] = {}
        depth: dict[int, int] = {}
        open_: set[int] = set()

        def successors(element: ET.Element) -> list[ET.Element]:
            drawn = [ids[f] for f in refs.get(id(element), ()) if f in ids]
            return [*element, *drawn]

        stack = [(root, successors(root), 0)]
        open_.add(id(root))
        while stack:
            element, following, i = stack[-1]
            if i < len(following):
                stack[-1] = (element, following, i + 1)
                child = following[i]
                if id(child) in size:
                    continue
                if id(child) in open_:
                    self.add(
                        "svg-reference-loop",
                        f"{ctx}{shown} line {lines.get(id(element), 0)}, "
                        f"<{_local(element.tag)}>: it draws #{child.get('id', '?')}, which "
                        "contains it, so drawing never ends; remove the loop",
                    )
                    return
                open_.add(id(child))
                stack.append((child, successors(child), 0))
                continue
            stack.pop()
            open_.discard(id(element))
            size[id(element)] = min(cap, 1 + sum(size[id(s)] for s in following))
            depth[id(element)] = 1 + max((depth[id(s)] for s in following), default=0)
        if size[id(root)] >= cap:
            self.too_many(shown, ctx, size[id(root)], " once its <use> copies are drawn")
        elif depth[id(root)] > self.limits.svg_depth:
            self.add(
                "svg-too-deep",
                f"{ctx}{shown} nests {depth[id(root)]} levels deep once its <use> copies are "
                f"drawn, over the limit of {self.limits.svg_depth}: flatten it and export it "
                "again",
            )

    def too_many(self, shown: str, ctx: str, count: int, how: str) -> None:
        over = "over" if count > self.limits.svg_elements else "at least"
        self.add(
            "svg-too-many-elements",
            f"{ctx}{shown} has {over} {self.limits.svg_elements:,} elements{how}, more than "
            "a page needs: simplify it (merge paths, fewer points) or use a PNG",
        )


# --- formats, byte by byte ------------------------------------------------------------------------

_PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
_PNG_DEPTHS = {(0, d) for d in (1, 2, 4, 8, 16)} | {(3, d) for d in (1, 2, 4, 8)}
_PNG_DEPTHS |= {(c, d) for c in (2, 4, 6) for d in (8, 16)}
_ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2))
_ADAM7 += ((0, 1, 1, 2),)


def _png_chunks(data: bytes) -> tuple[list[tuple[bytes, int, memoryview]], tuple[str, str] | None]:
    """The chunks up to IEND, and the first fault: ('truncated' | 'corrupt', what)."""
    view = memoryview(data)
    chunks = []
    offset = 8
    while True:
        if offset + 8 > len(data):
            return chunks, ("truncated", "it ends before the PNG end chunk (IEND)")
        length, kind = struct.unpack(">I4s", view[offset : offset + 8])
        end = offset + 12 + length
        if end > len(data):
            return chunks, ("truncated", f"it ends inside its {_chunk(kind)} chunk")
        body = view[offset + 8 : end - 4]
        chunks.append((kind, offset, body))  # kept even when damaged: the size comes first
        (stored,) = struct.unpack(">I", view[end - 4 : end])
        if zlib.crc32(body, zlib.crc32(kind)) != stored:
            return chunks, ("corrupt", f"the {_chunk(kind)} chunk at byte {offset} fails its CRC")
        if kind == b"IEND":
            return chunks, None
        offset = end


def _chunk(kind: bytes) -> str:
    return kind.decode("latin-1") if kind.isalpha() else repr(kind)


def _png_data_size(width: int, height: int, depth: int, channels: int, interlace: int) -> int:
    """Bytes of filtered scanlines the IDAT stream must inflate to."""

    def rows(w: int, h: int) -> int:
        return 0 if w == 0 or h == 0 else h * (1 + (w * depth * channels + 7) // 8)

    if interlace == 0:
        return rows(width, height)
    return sum(
        rows(max(0, (width - x + dx - 1) // dx), max(0, (height - y + dy - 1) // dy))
        for x, y, dx, dy in _ADAM7
    )


def _inflate(pieces: list[memoryview], expected: int) -> tuple[int, bool] | str:
    """How many bytes the zlib stream gives (counted, not kept) and whether it ends properly."""
    stream = zlib.decompressobj()
    produced = 0
    try:
        for piece in pieces:
            pending = bytes(piece)
            while pending and not stream.eof:
                produced += len(stream.decompress(pending, MEGABYTE))
                pending = stream.unconsumed_tail
                if produced > expected:
                    return produced, True  # more than needed: decoders ignore the rest
            if stream.eof:
                break
    except zlib.error as error:
        return _said(error)
    return produced, stream.eof


_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _jpeg_size(data: bytes) -> tuple[int, int] | str:
    """(width, height) from the frame header, or what is wrong with the markers before it."""
    offset = 2
    size = None
    while True:
        if offset + 4 > len(data):
            return "it ends before its image data"
        if data[offset] != 0xFF:
            return f"no JPEG marker at byte {offset}"
        marker = data[offset + 1]
        if marker == 0xFF:
            offset += 1
            continue
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:
            offset += 2
            continue
        if marker == 0xD9:
            return "it has no image data before its end marker"
        (length,) = struct.unpack(">H", data[offset + 2 : offset + 4])
        if length < 2:
            return f"a broken segment at byte {offset}"
        if marker in _SOF:
            if offset + 9 > len(data):
                return "it ends inside its frame header"
            height, width = struct.unpack(">HH", data[offset + 5 : offset + 9])
            if width == 0 or height == 0:
                return f"its frame header says {width} × {height} px"
            size = (width, height)
        if marker == 0xDA:
            return size if size else "it has no frame header before its image data"
        offset += 2 + length


def _webp_size(data: bytes) -> tuple[int, int] | str:
    """(width, height) from the first chunk, after checking that every chunk is all there."""
    if len(data) < 12:
        return "it ends inside its header"
    (riff,) = struct.unpack("<I", data[4:8])
    if riff + 8 > len(data):
        return f"it ends at byte {len(data)}; its header says {riff + 8}"
    offset, first = 12, None
    while offset < riff + 8:
        if offset + 8 > len(data):
            return "it ends inside a chunk header"
        kind = data[offset : offset + 4]
        (length,) = struct.unpack("<I", data[offset + 4 : offset + 8])
        if offset + 8 + length > len(data):
            return f"it ends inside its {kind.decode('latin-1')} chunk"
        first = first or (kind, data[offset + 8 : offset + 8 + length])
        offset += 8 + length + (length & 1)
    if first is None:
        return "it holds no image"
    kind, body = first
    if kind == b"VP8 " and len(body) >= 10 and body[3:6] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", body[6:10])
        return width & 0x3FFF, height & 0x3FFF
    if kind == b"VP8L" and len(body) >= 5 and body[0] == 0x2F:
        (bits,) = struct.unpack("<I", body[1:5])
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if kind == b"VP8X" and len(body) >= 10:
        return int.from_bytes(body[4:7], "little") + 1, int.from_bytes(body[7:10], "little") + 1
    return f"its first chunk is {kind!r}, not a WebP image header"


# --- SVG parsing ----------------------------------------------------------------------------------


class _Builder(ET.TreeBuilder):
    """A tree builder that remembers each element's line and every processing instruction."""

    def __init__(self) -> None:
        super().__init__()
        self.parser: DefusedXMLParser | None = None
        self.lines: dict[int, int] = {}
        self.instructions: list[tuple[str, int]] = []

    def start(self, tag, attrs):
        element = super().start(tag, attrs)
        self.lines[id(element)] = self._line()
        return element

    def pi(self, target, text=None):
        self.instructions.append((target, self._line()))
        return super().pi(target, text)

    def _line(self) -> int:
        return self.parser.parser.CurrentLineNumber if self.parser else 0


@dataclass(frozen=True)
class _Svg:
    root: ET.Element
    lines: dict[int, int]  # id(element) -> its line in the file
    instructions: list[tuple[str, int]]  # processing instructions: (target, line)


def _parse_svg(data: bytes) -> _Svg | tuple[str, str]:
    """The parsed SVG, or (kind, what is wrong)."""
    builder = _Builder()
    parser = DefusedXMLParser(
        target=builder, forbid_dtd=False, forbid_entities=True, forbid_external=True
    )
    builder.parser = parser
    subset: list[bool] = []

    def doctype(name: str, system: str | None, public: str | None, internal: int) -> None:
        subset.append(bool(internal))

    parser.parser.StartDoctypeDeclHandler = doctype
    try:
        parser.feed(data)
        root = parser.close()
    except EntitiesForbidden as error:
        return "svg-entities", f"declares the XML entity &{error.name}; (<!ENTITY ...>)"
    except DefusedXmlException as error:
        return "svg-entities", f"refers to something outside itself ({_said(error)})"
    except ET.ParseError as error:
        line, column = error.position
        return "svg-syntax", f"line {line}, column {column + 1}: {_said(error).split(':')[0]}"
    except (ValueError, LookupError) as error:  # an unknown encoding
        return "svg-syntax", f"cannot be read: {_said(error)}"
    if any(subset):
        return "svg-doctype", "declares a DTD internal subset (<!DOCTYPE svg [ ... ]>)"
    return _Svg(root, builder.lines, builder.instructions)


def _css_urls(tokens) -> list[str]:
    """Every url(...) in a list of CSS component values, however deeply nested."""
    found: list[str] = []
    stack = list(tokens)
    while stack:
        token = stack.pop()
        kind = getattr(token, "type", "")
        if kind == "url":
            found.append(token.value)
        elif kind == "function":
            if token.lower_name == "url":
                strings = [t for t in token.arguments if t.type == "string"]
                found += [strings[0].value] if strings else []
            stack.extend(token.arguments)
        elif kind in ("() block", "[] block", "{} block"):
            stack.extend(token.content)
        elif kind in ("qualified-rule", "at-rule"):
            stack.extend([*token.prelude, *(token.content or ())])
    return found


# --- words ------------------------------------------------------------------------------------


def _is_svg(root: ET.Element) -> bool:
    return root.tag == "{http://www.w3.org/2000/svg}svg"


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1] if isinstance(name, str) else "?"


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 60 else text[:57] + "..."


def _said(error: BaseException) -> str:
    return str(error).strip() or type(error).__name__


def _mb(size: int) -> str:
    return f"{size / MEGABYTE:.1f} MB"


def _mime_of(kind: str) -> str:
    return next(mime for mime, k in _MIME.items() if k == kind)


def _renamed(shown: str, kind: str) -> str:
    path = Path(shown)
    return path.with_suffix(_SUFFIX[kind]).as_posix() if path.suffix else shown + _SUFFIX[kind]
