"""The official CC 1.3 and 1.1 XSDs (schemas/, unmodified) loaded offline with xmlschema."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path

import xmlschema

SCHEMAS = Path(__file__).parent / "schemas"
#: The W3C schema of the ``xml:`` namespace, as the xmlschema package ships it: the XSDs
#: import it, and nothing of it is committed here.
XML_XSD = Path(xmlschema.__file__).parent / "schemas" / "XML" / "xml.xsd"
_CC13 = "http://www.imsglobal.org/profile/cc/ccv1p3/"

#: Root namespace -> the schema files that must accept the document, per CC version. The
#: CC 1.3 manifest is checked against both published revisions of its schema.
ROOTS = {
    "1.3": {
        "http://www.imsglobal.org/xsd/imsccv1p3/imscp_v1p1": (
            "cc13/ccv1p3_imscp_v1p2_v1p0.xsd",
            "cc13-2013/ccv1p3_imscp_v1p2_v1p0.xsd",
        ),
        "http://www.imsglobal.org/xsd/imsccv1p3/imswl_v1p3": ("cc13/ccv1p3_imswl_v1p3.xsd",),
        "http://www.imsglobal.org/xsd/imsccv1p3/imsdt_v1p3": ("cc13/ccv1p3_imsdt_v1p3.xsd",),
        "http://www.imsglobal.org/xsd/ims_qtiasiv1p2": ("cc13/ccv1p3_qtiasiv1p2p1_v1p0.xsd",),
    },
    "1.1": {
        "http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1": ("cc11/ccv1p1_imscp_v1p2_v1p0.xsd",),
        "http://www.imsglobal.org/xsd/imsccv1p1/imswl_v1p1": ("cc11/ccv1p1_imswl_v1p1.xsd",),
        "http://www.imsglobal.org/xsd/imsccv1p1/imsdt_v1p1": ("cc11/ccv1p1_imsdt_v1p1.xsd",),
        "http://www.imsglobal.org/xsd/ims_qtiasiv1p2": ("cc11/ccv1p1_qtiasiv1p2p1_v1p0.xsd",),
    },
}


def uri_map(url: str) -> str:
    """The local file for an import: the CC 1.3 XSDs import by absolute imsglobal.org URL,
    Moodle's CC 1.1 copies by relative name; the files themselves stay as published."""
    if url.endswith("/xml.xsd"):
        return XML_XSD.as_uri()
    if url.startswith(_CC13):
        return (SCHEMAS / "cc13" / url.removeprefix(_CC13)).as_uri()
    return url


@cache
def schema(relative: str) -> xmlschema.XMLSchema:
    """One schema and its imports, compiled once per test session; only local files."""
    return xmlschema.XMLSchema(str(SCHEMAS / relative), uri_mapper=uri_map, allow="local")


def errors(data: bytes, version: str, name: str) -> list[str]:
    """Every schema error of the document ``data`` (a file of a CC ``version`` package)."""
    namespace = ET.fromstring(data).tag[1:].split("}")[0]
    files = ROOTS[version].get(namespace)
    if files is None:
        return [f"{name}: no CC {version} schema for the namespace {namespace!r}"]
    found = []
    for relative in files:
        for error in schema(relative).iter_errors(data.decode("utf-8")):
            found.append(f"{name} ({relative}): {error.reason} at {error.path}")
    return found
