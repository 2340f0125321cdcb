"""An independent reader of a cartridge: pyslet (PyPI) reads the package, ElementTree the files.

Nothing here uses lxml or the writer's code. pyslet 0.7 models IMS Content Packaging 1.2
and the CC 1.1 profile, and reads the zip, the manifest, the organization tree and the
resources' files. It knows no CC 1.3 namespace, no web link or discussion topic, and its
QTI v1 classes fail on Python 3 for an assessment with a section; so its CC 1.1 classes are
re-bound to the CC 1.3 namespace (a small adapter), and the web links, topics and
assessments are read with the standard library (ElementTree, html.parser).
"""

from __future__ import annotations

import contextlib
import hashlib
import unittest
import warnings
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any


@contextlib.contextmanager
def _pyslet() -> Iterator[None]:
    """pyslet (2017) calls its own deprecated names (DeprecationWarning on Python 3.11):
    its warnings, and only its, are not ours to fail on."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning, module="pyslet")
        yield


with warnings.catch_warnings():
    # Compiled without a cached .pyc, pyslet's sources warn of invalid escapes and `is`
    # with literals (DeprecationWarning, SyntaxWarning): the 2017 code's, not ours.
    warnings.simplefilter("ignore", DeprecationWarning)
    warnings.simplefilter("ignore", SyntaxWarning)
    import pyslet.imscc_profilev1p0 as cc10
    import pyslet.imscc_profilev1p1 as cc11
    import pyslet.imscpv1p2 as imscp
    import pyslet.xml.namespace as xmlns

NS13 = "http://www.imsglobal.org/xsd/imsccv1p3/imscp_v1p1"
QTI = "{http://www.imsglobal.org/xsd/ims_qtiasiv1p2}"


def _rebind(cls: type, **extra: Any) -> type:
    """``cls`` (a pyslet CC 1.1 element class) for the same element in the CC 1.3 namespace."""
    return type(cls.__name__, (cls,), {"XMLNAME": (NS13, cls.XMLNAME[1]), **extra})


class _CC13:
    """pyslet's CC 1.1 manifest classes, re-bound to CC 1.3 (same elements, new namespace)."""

    Schema = _rebind(cc11.Schema)
    SchemaVersion = _rebind(cc11.SchemaVersion)
    Metadata = _rebind(cc11.Metadata, SchemaClass=Schema, SchemaVersionClass=SchemaVersion)
    Organization = _rebind(cc11.Organization)
    Organizations = _rebind(cc11.Organizations, OrganizationClass=Organization)
    File = _rebind(cc11.File)
    Dependency = _rebind(cc11.Dependency)
    Resource = _rebind(
        cc11.Resource, MetadataClass=Metadata, FileClass=File, DependencyClass=Dependency
    )
    Resources = _rebind(cc11.Resources, ResourceClass=Resource)
    Manifest = _rebind(
        cc11.Manifest,
        MetadataClass=Metadata,
        OrganizationsClass=Organizations,
        ResourcesClass=Resources,
    )


_CC13.Manifest.ManifestClass = _CC13.Manifest


class _ManifestDocument13(xmlns.XMLNSDocument):
    classMap: dict = {}  # noqa: N815, RUF012 (pyslet reads this name; filled below)

    def get_element_class(self, name: tuple[str, str]) -> type:
        table = _ManifestDocument13.classMap
        return table.get(name, table.get((name[0], None), xmlns.XMLNSElement))


xmlns.map_class_elements(_ManifestDocument13.classMap, dict(vars(_CC13)))


class _ContentPackage13(imscp.ContentPackage):
    ManifestDocumentClass = _ManifestDocument13


class CommonCartridge13(cc10.CommonCartridge):
    """pyslet's Common Cartridge over a CC 1.3 package."""

    ContentPackageClass = _ContentPackage13


class _Text(HTMLParser):
    """The list items, paragraphs and links of an HTML fragment, as plain text."""

    def __init__(self) -> None:
        super().__init__()
        self.items: list[str] = []
        self.paragraphs: list[str] = []
        self.links: list[tuple[str, str]] = []
        self._open: list[tuple[str, list[str], str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"li", "p", "a"}:
            self._open.append((tag, [], dict(attrs).get("href") or ""))

    def handle_data(self, data: str) -> None:
        for _, parts, _ in self._open:
            parts.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._open and self._open[-1][0] == tag:
            tag, parts, href = self._open.pop()
            text = "".join(parts)
            {"li": self.items, "p": self.paragraphs}.get(tag, []).append(text)
            if tag == "a":
                self.links.append((href, text))


def html_text(markup: str) -> _Text:
    """``markup`` read by the standard library's HTML parser."""
    parser = _Text()
    parser.feed(markup)
    parser.close()
    return parser


def _children(element: Any, name: str) -> Iterator[Any]:
    for child in element.get_children():
        if getattr(child, "xmlname", None) == name:
            yield child


def _title(item: Any) -> str:
    return next(_children(item, "title")).get_value()


def _weblink(root: ET.Element) -> tuple[str, str]:
    ns = root.tag.split("}")[0] + "}"
    return root.findtext(f"{ns}title", ""), root.find(f"{ns}url").get("href")


def _topic(root: ET.Element) -> tuple[str, tuple[str, ...], tuple[tuple[str, str], ...]]:
    ns = root.tag.split("}")[0] + "}"
    text = root.find(f"{ns}text")
    assert text.get("texttype") == "text/html"
    body = html_text(text.text or "")
    return root.findtext(f"{ns}title", ""), tuple(body.items), tuple(body.links)


def _quiz(root: ET.Element) -> tuple[str, tuple[str, ...]]:
    assessment = root.find(f"{QTI}assessment")
    prompts = []
    for item in assessment.iter(f"{QTI}item"):
        mattext = item.find(f"{QTI}presentation/{QTI}material/{QTI}mattext")
        prompts.append(" ".join(html_text(mattext.text or "").paragraphs))
    return assessment.get("title"), tuple(prompts)


class Reader:
    """What an importer would find in a cartridge, read without the writer's code."""

    def __init__(self, path: str) -> None:
        with zipfile.ZipFile(path) as archive:
            head = archive.read("imsmanifest.xml")[:800]
        kind = CommonCartridge13 if NS13.encode() in head else cc11.CommonCartridge
        with _pyslet():
            self.cc = kind(path)
        self.cp = self.cc.cp
        self.manifest = self.cp.manifest.root
        self.resources = {resource.id: resource for resource in self.manifest.Resources.Resource}

    def close(self) -> None:
        with _pyslet():
            self.cc.close()

    def schemaversion(self) -> str:
        with _pyslet():
            return self.manifest.Metadata.SchemaVersion.get_value()

    def _file(self, resource: Any) -> bytes:
        # The file pyslet's package lists for the resource, from pyslet's unpacked copy.
        path = resource.File[0].package_path(self.cp)
        with self.cp.dPath.join(path).open("rb") as stream:
            return stream.read()

    def _item(self, item: Any) -> tuple:
        title = _title(item)
        resource = self.resources[item.get_attributes()[(xmlns.NO_NAMESPACE, "identifierref")]]
        kind = resource.type
        if kind.startswith("imswl_"):
            return ("weblink", title, *_weblink(ET.fromstring(self._file(resource))))
        if kind.startswith("imsdt_"):
            return ("discussion", title, *_topic(ET.fromstring(self._file(resource))))
        if kind.startswith("imsqti_"):
            return ("quiz", title, *_quiz(ET.fromstring(self._file(resource))))
        assert kind == "webcontent", kind
        name = str(resource.File[0].package_path(self.cp)).rsplit("/", 1)[-1]
        if name.endswith(".html"):
            return ("page", title, name)
        return ("file", title, name, hashlib.sha256(self._file(resource)).hexdigest())

    def _node(self, item: Any) -> tuple:
        attributes = item.get_attributes()
        if (xmlns.NO_NAMESPACE, "identifierref") in attributes:
            return self._item(item)
        children = tuple(self._node(child) for child in _children(item, "item"))
        return ("folder", _title(item), children)

    def tree(self) -> tuple:
        """The organization below its root item: folders (title, children) and items."""
        with _pyslet():
            (organization,) = self.manifest.Organizations.Organization
            (root,) = _children(organization, "item")
            return tuple(self._node(child) for child in _children(root, "item"))

    def missing_files(self) -> list[str]:
        """Files the manifest lists that the package does not hold."""
        with _pyslet():
            return [
                str(path) for path in self.cp.fileTable if not self.cp.dPath.join(path).exists()
            ]

    def profile_tests(self) -> unittest.TestResult:
        """pyslet's own CC profile tests (learning objects' folders, web content)."""
        result = unittest.TestResult()
        with _pyslet():
            cc10.CCTestSuite(self.cc).run(result)
        return result
