"""Serialise an lxml tree to the bytes a cartridge stores, and make text fit an XML field."""

from __future__ import annotations

import re

from lxml import etree

#: The declaration with double quotes (lxml writes single ones); a constant, not content,
#: written for importers that sniff the first bytes.
DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
#: Characters XML 1.0 cannot carry at all, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SPACE = re.compile(r"\s+")


def document(root: etree._Element) -> bytes:
    """``root`` as a UTF-8 document: the XML library escapes every text and attribute."""
    return DECLARATION + etree.tostring(root, encoding="UTF-8", pretty_print=True)


def text(value: str) -> str:
    """``value`` without the control characters XML cannot hold."""
    return _NOT_XML.sub("", value)


def line(value: str) -> str:
    """``value`` on one line: titles are xs:normalizedString, which holds no newline or tab."""
    return _SPACE.sub(" ", text(value)).strip()
