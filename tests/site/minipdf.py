"""Just enough of a PDF reader for the book's own PDF: pages, outline, text (standard library only).

It reads what Chromium writes (Skia's PDF backend): objects in the open, a
classic cross-reference table, Flate-compressed streams, text shown with
``Tj``/``TJ`` in fonts that carry a ``ToUnicode`` map. It is not a general PDF
reader and says so when it meets something it does not know (object or
cross-reference streams).
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field

_HEADER = re.compile(rb"\s*(\d+)\s+(\d+)\s+obj\b")
_REF = re.compile(rb"(\d+)\s+0\s+R")


@dataclass
class OutlineEntry:
    title: str
    page: int  # counting from 1
    children: list[OutlineEntry] = field(default_factory=list)


class Pdf:
    """A parsed PDF: ``pages`` (their object numbers, in order), ``outline()``, ``text(page)``."""

    def __init__(self, data: bytes) -> None:
        if not data.startswith(b"%PDF-"):
            raise ValueError("not a PDF (no %PDF- header)")
        if b"%%EOF" not in data[-1024:]:
            raise ValueError("truncated PDF (no %%EOF at the end)")
        self.objects = _objects(data)
        if any(re.search(rb"/Type\s*/(ObjStm|XRef)\b", body[:200]) for body in self.objects.values()):
            raise ValueError("object or cross-reference streams: not supported by this small reader")
        trailer = data[data.rindex(b"trailer"):]
        self.root = self._ref(trailer, b"Root")
        self.pages = self._page_tree(self._ref(self.objects[self.root], b"Pages"))
        self._fonts: dict[int, dict[int, str]] = {}

    # ------------------------------------------------------------- objects

    def _ref(self, body: bytes, key: bytes) -> int | None:
        match = re.search(rb"/" + key + rb"\s+(\d+)\s+0\s+R", body)
        return int(match.group(1)) if match else None

    def stream(self, number: int) -> bytes:
        body = self.objects[number]
        start = body.index(b"stream") + len(b"stream")
        start += 2 if body[start:start + 2] == b"\r\n" else 1
        raw = body[start:body.rindex(b"endstream")]
        return zlib.decompress(raw) if b"/FlateDecode" in body[:body.index(b"stream")] else raw

    def _page_tree(self, number: int) -> list[int]:
        body = self.objects[number]
        if re.search(rb"/Type\s*/Page\b(?!s)", body):
            return [number]
        kids = re.search(rb"/Kids\s*\[(.*?)\]", body, re.S)
        return [page for kid in _REF.findall(kids.group(1)) for page in self._page_tree(int(kid))]

    # ------------------------------------------------------------- outline

    def outline(self) -> list[OutlineEntry]:
        """The bookmarks, as a tree; empty if the PDF has none."""
        outlines = self._ref(self.objects[self.root], b"Outlines")
        return self._entries(self._ref(self.objects[outlines], b"First")) if outlines else []

    def _entries(self, number: int | None) -> list[OutlineEntry]:
        entries = []
        while number is not None:
            body = self.objects[number]
            dest = re.search(rb"/Dest\s*\[\s*(\d+)\s+0\s+R", body)
            page = self.pages.index(int(dest.group(1))) + 1 if dest else 0
            entry = OutlineEntry(_pdf_string(body, b"Title"), page, self._entries(self._ref(body, b"First")))
            entries.append(entry)
            number = self._ref(body, b"Next")
        return entries

    def destinations(self) -> dict[str, int]:
        """The named destinations (the targets of internal links): name -> page, from 1."""
        ref = self._ref(self.objects[self.root], b"Dests")
        if ref is None:
            return {}
        pairs = re.findall(rb"/([^\s/\[\]<>()]+)\s*\[\s*(\d+)\s+0\s+R", self.objects[ref])
        return {_name(name): self.pages.index(int(page)) + 1 for name, page in pairs if int(page) in self.pages}

    def internal_links(self) -> list[tuple[int, str]]:
        """``[(page the link is on, destination name), ...]`` for every link inside the document."""
        links = []
        for number, page in enumerate(self.pages, 1):
            annots = re.search(rb"/Annots\s*\[(.*?)\]", self.objects[page], re.S)
            for ref in _REF.findall(annots.group(1)) if annots else []:
                dest = re.search(rb"/Dest\s*/([^\s/\[\]<>()]+)", self.objects[int(ref)])
                if dest:
                    links.append((number, _name(dest.group(1))))
        return links

    # ------------------------------------------------------------- text

    def text(self, page: int) -> str:
        """The text shown on ``page`` (from 1), runs joined by spaces."""
        body = self.objects[self.pages[page - 1]]
        fonts = self._page_fonts(body)
        contents = re.search(rb"/Contents\s*(\[.*?\]|\d+\s+0\s+R)", body, re.S)
        out: list[str] = []
        for ref in _REF.findall(contents.group(1)):
            out += self._show(self.stream(int(ref)), fonts)
        return " ".join(out)

    def _page_fonts(self, page_body: bytes) -> dict[bytes, tuple[int, dict[int, str]]]:
        resources = re.search(rb"/Resources\s*(<<.*>>|\d+\s+0\s+R)", page_body, re.S).group(1)
        if not resources.startswith(b"<<"):
            resources = self.objects[int(resources.split()[0])]
        font_dict = re.search(rb"/Font\s*(<<.*?>>|\d+\s+0\s+R)", resources, re.S).group(1)
        if not font_dict.startswith(b"<<"):
            font_dict = self.objects[int(font_dict.split()[0])]
        return {name: self._unicode_map(int(ref)) for name, ref in re.findall(rb"/([\w.+-]+)\s+(\d+)\s+0\s+R", font_dict)}

    def _unicode_map(self, font: int) -> tuple[int, dict[int, str]]:
        """(bytes per character code, code -> text) of a font: composite (Type0) fonts use two bytes."""
        if font not in self._fonts:
            mapping: dict[int, str] = {}
            ref = self._ref(self.objects[font], b"ToUnicode")
            if ref is not None:
                cmap = self.stream(ref)
                for block in re.findall(rb"beginbfchar(.*?)endbfchar", cmap, re.S):
                    for src, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
                        mapping[int(src, 16)] = _utf16(dst)
                for block in re.findall(rb"beginbfrange(.*?)endbfrange", cmap, re.S):
                    for lo, hi, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
                        first = int(dst, 16)
                        for offset, code in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                            mapping[code] = chr(first + offset)
            width = 2 if re.search(rb"/Subtype\s*/Type0", self.objects[font]) else 1
            self._fonts[font] = (width, mapping)
        return self._fonts[font]

    def _show(self, content: bytes, fonts: dict[bytes, tuple[int, dict[int, str]]]) -> list[str]:
        runs, (width, mapping) = [], (1, {})
        for font, strings in re.findall(rb"/([\w.+-]+)\s+[\d.]+\s+Tf|(\[[^\]]*\]\s*TJ|<[0-9A-Fa-f]*>\s*Tj)", content):
            if font:
                width, mapping = fonts.get(font, (1, {}))
                continue
            text = ""
            for hexstring in re.findall(rb"<([0-9A-Fa-f]*)>", strings):
                codes = bytes.fromhex(hexstring.decode())
                text += "".join(mapping.get(int.from_bytes(codes[i:i + width], "big"), "")
                                for i in range(0, len(codes), width))
            runs.append(text)
        return runs


def _objects(data: bytes) -> dict[int, bytes]:
    """Object number -> its body (between ``obj`` and ``endobj``), found through the cross-reference table."""
    start = int(re.search(rb"startxref\s+(\d+)", data[-1024:]).group(1))
    if not data.startswith(b"xref", start):
        raise ValueError("no classic cross-reference table: not supported by this small reader")
    offsets = {}
    table = data[start:data.index(b"trailer", start)]
    for first, count, rows in re.findall(rb"(\d+) (\d+)\s*\n((?:\d{10} \d{5} [nf]\s*\r?\n?)*)", table):
        for k, (offset, kind) in enumerate(re.findall(rb"(\d{10}) \d{5} ([nf])", rows)):
            if kind == b"n":
                offsets[int(first) + k] = int(offset)
    ends = sorted(offsets.values()) + [start]
    following = dict(zip(ends, ends[1:]))
    objects = {}
    for number, offset in offsets.items():
        end = following[offset]
        header = _HEADER.match(data, offset)
        if not header or int(header.group(1)) != number:
            raise ValueError(f"object {number} is not at offset {offset}")
        objects[number] = data[header.end():data.rindex(b"endobj", offset, end)]
    return objects


def _utf16(hexdigits: bytes) -> str:
    return bytes.fromhex(hexdigits.decode()).decode("utf-16-be", errors="replace")


def _name(raw: bytes) -> str:
    """A PDF name without its slash, ``#xx`` escapes decoded."""
    return re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), raw).decode("utf-8", "replace")


def _pdf_string(body: bytes, key: bytes) -> str:
    """A text string value (``(literal)`` or ``<hex>``, PDFDocEncoding or UTF-16) of ``key``."""
    match = re.search(rb"/" + key + rb"\s*(<[0-9A-Fa-f]*>|\((?:\\.|[^\\)])*\))", body, re.S)
    if not match:
        return ""
    value = match.group(1)
    if value.startswith(b"<"):
        raw = bytes.fromhex(value[1:-1].decode())
    else:
        raw = re.sub(rb"\\([nrtbf()\\]|[0-7]{1,3})", lambda m: _unescape(m.group(1)), value[1:-1])
    if raw.startswith(b"\xfe\xff"):
        return raw[2:].decode("utf-16-be", errors="replace")
    return raw.decode("latin-1")


def _unescape(code: bytes) -> bytes:
    simple = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f", b"(": b"(", b")": b")", b"\\": b"\\"}
    return simple.get(code) or bytes([int(code, 8) & 0xFF])
