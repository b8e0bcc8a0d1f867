"""One page, one parse: the HTML tree every step shares (page type, outlinks, metadata,
pruning, trafilatura).

Same decoding, repairs and parser options as ``trafilatura.utils.load_html``, but the parser
maps every element to plain ``lxml.html.HtmlElement`` in C (``ElementDefaultClassLookup``)
instead of asking ``lxml.html``'s Python class lookup for each element proxy — about a million
Python calls per 300 pages. Only the form-specific element classes (``FormElement.fields``
and the like) are lost; nothing here or in trafilatura uses them.
"""

from __future__ import annotations

from lxml import etree
from lxml.html import HtmlComment, HtmlElement, HtmlEntity, HtmlProcessingInstruction, HTMLParser, fromstring
from trafilatura.utils import DOCTYPE_TAG, FAULTY_HTML, INVALID_XML_CHARS, decode_file, is_dubious_html

# the characters trafilatura's INVALID_XML_CHARS drops, tested one by one: 31 substring scans in C
# cost a third of one regex scan of the page
_INVALID_CHARS = [chr(c) for c in range(32) if c not in (9, 10, 13)] + ["\ufffe", "\uffff"]

PARSER = HTMLParser(collect_ids=False, default_doctype=False, encoding="utf-8", remove_comments=True, remove_pis=True)
PARSER.set_element_class_lookup(etree.ElementDefaultClassLookup(
    element=HtmlElement, comment=HtmlComment, pi=HtmlProcessingInstruction, entity=HtmlEntity))


def _from_bytes(text: str) -> HtmlElement | None:
    try:
        return fromstring(text.encode("utf8", "surrogatepass"), parser=PARSER)
    except Exception:  # libxml2 gives up on some inputs: no tree
        return None


def repair_faulty_html(text: str, beginning: str) -> str:
    """``trafilatura.utils.repair_faulty_html`` (same steps), without its regex scan of the whole
    page for XML-invalid characters when the page has none (the costliest part of loading it)."""
    if any(c in text for c in _INVALID_CHARS):
        text = INVALID_XML_CHARS.sub("", text)
    if "doctype" in beginning:  # libxml2/LXML issue: https://bugs.launchpad.net/lxml/+bug/1955915
        firstline, _, rest = text.partition("\n")
        text = DOCTYPE_TAG.sub("", firstline, count=1) + "\n" + rest
    for line in text[:4096].splitlines()[:4]:  # self-closing <html/> in the first lines
        if "<html" in line and line.endswith("/>"):
            text = FAULTY_HTML.sub(r"\1>", text, count=1)
            break
    return text


def load_html(html: bytes | str | HtmlElement) -> HtmlElement | None:
    """The page's tree, or ``None`` for input that is not HTML (``html`` may already be a tree)."""
    if isinstance(html, HtmlElement):
        return html
    if not isinstance(html, (bytes, str)):
        raise TypeError(f"incompatible input type {type(html)}")
    text = decode_file(html)
    beginning = text[:50].lower()
    text = repair_faulty_html(text, beginning)
    tree, retried = None, False
    try:
        tree = fromstring(text, parser=PARSER)
    except ValueError:  # "Unicode strings with encoding declaration are not supported."
        tree, retried = _from_bytes(text), True
    except Exception:
        tree = None
    if (tree is None or len(tree) < 1) and not retried:
        tree = _from_bytes(text)
    if tree is not None and is_dubious_html(beginning) and len(tree) < 2:
        return None  # not (well-formed) HTML at all
    return tree
