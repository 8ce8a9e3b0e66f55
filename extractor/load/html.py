"""HTML inputs (lxml): article text in reading order, each data table rendered as TAB rows."""

from __future__ import annotations

import re

import lxml.etree
import lxml.html

from ..document import Document
from ..errors import EncodingError, LoadError
from .encoding import decode_text, plausible
from .render import Cell, TextBuilder, collapse
from .text import trim_title

_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9_\-]+)", re.I)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030",
            "unicode": "utf-16", "utf8": "utf-8"}

_DROP = {"script", "style", "noscript", "template", "head", "nav", "iframe", "object", "embed", "svg",
         "select", "button", "input", "textarea", "map", "canvas", "audio", "video", "link", "meta"}
_BLOCK = {"p", "div", "section", "article", "header", "footer", "main", "aside", "h1", "h2", "h3", "h4",
          "h5", "h6", "ul", "ol", "li", "dl", "dt", "dd", "blockquote", "pre", "form", "fieldset",
          "address", "figure", "figcaption", "hr", "center", "caption", "table", "thead", "tbody",
          "tfoot", "tr", "td", "th", "body", "html", "br"}
# site chrome by class/id token; only dropped when it holds no table and no report title
_CHROME = re.compile(r"^(header|head|header[-_]\w+|head[-_]\w+|\w*nav\w*|\w*menu\w*|footer\w*|foot|"
                     r"\w*breadcrumb\w*|crumbs?|\w*share\w*|search\w*|sidebar|qrcode|ewm|friend_?links?|"
                     r"toolbar|topbar|skip\w*)$", re.I)
_HIDDEN = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden|mso-hide\s*:\s*all", re.I)


def decode_html(data: bytes, name: str) -> tuple[str, str]:
    """Honour a <meta charset> when the bytes really decode with it; otherwise detect."""
    m = _META_CHARSET.search(data[:8192])
    if m and not data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        declared = m.group(1).decode("ascii").lower()
        enc = _ALIASES.get(declared, declared)
        if enc not in ("utf-8", "utf-16") and _is_utf8(data):
            # GBK text that is also valid UTF-8 is vanishingly rare; a stale declaration is not
            return data.decode("utf-8"), "utf-8"
        try:
            text = data.decode(enc)
            if plausible(text[:200_000]):
                return text, enc
        except (LookupError, UnicodeDecodeError):
            pass  # wrong or unknown declaration: fall back to detection
    return decode_text(data, name)


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return not data.isascii()


def _tag(el: lxml.etree._Element) -> str:
    tag = el.tag
    if not isinstance(tag, str):
        return ""  # comment / processing instruction
    return tag.lower().split("}")[-1]


def _is_chrome(el: lxml.html.HtmlElement) -> bool:
    tokens = " ".join(filter(None, (el.get("class"), el.get("id")))).split()
    if not any(_CHROME.match(t) for t in tokens):
        return False
    if el.xpath(".//table"):
        return False
    return "年度报告" not in el.text_content()


def _hidden(el: lxml.html.HtmlElement) -> bool:
    style = el.get("style")
    return bool(style and _HIDDEN.search(style)) or el.get("hidden") is not None


def _own_rows(table: lxml.html.HtmlElement) -> list[lxml.html.HtmlElement]:
    return table.xpath("./tr | ./thead/tr | ./tbody/tr | ./tfoot/tr")


def _span(el: lxml.html.HtmlElement, attr: str) -> int:
    m = re.match(r"\s*(\d+)", el.get(attr) or "")
    return max(1, min(int(m.group(1)), 1000)) if m else 1


class _Walker:
    """Depth-first walk emitting lines (inline runs between block boundaries) and tables."""

    def __init__(self) -> None:
        self.out = TextBuilder()
        self._buf: list[str] = []

    def flush(self) -> None:
        if self._buf:
            self.out.line(collapse("".join(self._buf)))
            self._buf = []

    def walk(self, el: lxml.html.HtmlElement) -> None:
        tag = _tag(el)
        if tag:
            if tag in _DROP or _hidden(el) or _is_chrome(el):
                self._tail(el)
                return
            if tag == "table" and not el.xpath(".//table"):
                self.flush()
                self.out.table(_table_rows(el))
                self._tail(el)
                return
            block = tag in _BLOCK
            if block:
                self.flush()
            if el.text:
                self._buf.append(el.text)
            for child in el:
                self.walk(child)
            if block:
                self.flush()
        self._tail(el)

    def _tail(self, el: lxml.html.HtmlElement) -> None:
        if el.tail:
            self._buf.append(el.tail)


def _cell_text(cell: lxml.html.HtmlElement) -> str:
    """The cell's text, block boundaries and <br> as newlines, then collapsed (CJK-aware)."""
    parts: list[str] = []

    def rec(el: lxml.html.HtmlElement) -> None:
        tag = _tag(el)
        if tag and (tag in _DROP or _hidden(el)):
            if el.tail:
                parts.append(el.tail)
            return
        block = tag in _BLOCK
        if block:
            parts.append("\n")
        if tag and el.text:
            parts.append(el.text)
        for child in el:
            rec(child)
        if block:
            parts.append("\n")
        if el.tail and el is not cell:
            parts.append(el.tail)

    rec(cell)
    return collapse("".join(parts)).strip()


def _table_rows(table: lxml.html.HtmlElement) -> list[list[Cell]]:
    rows: list[list[Cell]] = []
    caption = table.find("caption")
    if caption is not None:
        rows.append([Cell(_cell_text(caption))])
    for tr in _own_rows(table):
        rows.append([Cell(_cell_text(td), rowspan=_span(td, "rowspan"), colspan=_span(td, "colspan"))
                     for td in tr.xpath("./td | ./th")])
    return rows


def _title(root: lxml.html.HtmlElement) -> str | None:
    for h1 in root.iter("h1"):
        t = collapse(h1.text_content()).strip()
        if t:
            return t
    for meta in root.xpath("//meta[@name='ArticleTitle' or @property='og:title']"):
        t = collapse(meta.get("content") or "").strip()
        if t:
            return t
    return trim_title(root.findtext(".//title"))


def load_html(data: bytes, name: str, text: str | None = None, encoding: str | None = None) -> Document:
    if text is None:
        text, encoding = decode_html(data, name)
    text = _XML_DECL.sub("", text.lstrip("\ufeff"))
    try:
        root = lxml.html.document_fromstring(text)
    except (lxml.etree.ParserError, ValueError) as e:
        raise LoadError(name, f"HTML that cannot be parsed: {e}") from e
    title = _title(root)
    body = root.find("body")
    walker = _Walker()
    walker.walk(body if body is not None else root)
    walker.flush()
    if not walker.out.text.strip():
        if encoding is None:
            raise EncodingError(name, "HTML without readable text")
        raise LoadError(name, "HTML page with no text in its body (a script-only or frame page?)")
    return Document(source=name, format="html", text=walker.out.text, grids=walker.out.grids,
                    title=title, encoding=encoding)
