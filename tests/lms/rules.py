"""The CC rules an XSD validator does not apply: the Schematron rules embedded in the official
XSDs and the profile's package rules, checked with the standard library's ElementTree.

The CC 1.1 XSDs' Schematron keys its per-type rules on the CC 1.0 type strings, so it never
fires on a 1.1 package; the rules are written here once for both versions.
"""

from __future__ import annotations

import posixpath
import xml.etree.ElementTree as ET
import zipfile

QTI = "{http://www.imsglobal.org/xsd/ims_qtiasiv1p2}"
#: Learning application objects: a descriptor file of their own, in a folder of their own.
LAO_PREFIXES = ("imswl_", "imsdt_", "imsqti_", "imsbasiclti_")


def _ns(root: ET.Element) -> str:
    return root.tag.split("}")[0] + "}"


def _fields(metadata: ET.Element | None) -> list[tuple[str, str]]:
    if metadata is None:
        return []
    return [
        (field.findtext(f"{QTI}fieldlabel", ""), field.findtext(f"{QTI}fieldentry", ""))
        for field in metadata.iter(f"{QTI}qtimetadatafield")
    ]


def resource_rules(manifest: ET.Element) -> list[str]:
    """Per resource type: LAOs have no href and exactly one file; web links depend on
    nothing; content launched from an item has an href and a file of that name."""
    cp = _ns(manifest)
    problems = []
    launched = {item.get("identifierref") for item in manifest.iter(f"{cp}item")}
    for resource in manifest.iter(f"{cp}resource"):
        rid, kind = resource.get("identifier"), resource.get("type", "")
        files = [file.get("href") for file in resource.findall(f"{cp}file")]
        if kind.startswith(LAO_PREFIXES):
            if resource.get("href") is not None:
                problems.append(f"{rid}: a {kind} resource must not have an href")
            if len(files) != 1:
                problems.append(
                    f"{rid}: a {kind} resource needs exactly one file, has {len(files)}"
                )
            if kind.startswith("imswl_") and resource.find(f"{cp}dependency") is not None:
                problems.append(f"{rid}: a web link must not depend on anything")
        elif kind == "webcontent" and rid in launched and resource.get("href") not in files:
            problems.append(f"{rid}: launched web content needs an href naming one of its files")
    return problems


def organization_rules(manifest: ET.Element) -> list[str]:
    """One organization, rooted: an untitled root item; every other item titled; an item
    that opens a resource has no children; identifiers unique; every reference resolves."""
    cp = _ns(manifest)
    problems = []
    organizations = manifest.findall(f"{cp}organizations/{cp}organization")
    if len(organizations) != 1 or organizations[0].get("structure") != "rooted-hierarchy":
        return ["the manifest needs exactly one rooted-hierarchy organization"]
    roots = organizations[0].findall(f"{cp}item")
    if len(roots) != 1 or roots[0].find(f"{cp}title") is not None or roots[0].get("identifierref"):
        problems.append("the organization needs one root item, with no title and no resource")
    resources = {resource.get("identifier") for resource in manifest.iter(f"{cp}resource")}
    identifiers = [
        element.get("identifier") for element in manifest.iter() if element.get("identifier")
    ]
    repeated = {name for name in identifiers if identifiers.count(name) > 1}
    if repeated:
        problems.append(f"identifiers used twice: {sorted(repeated)}")
    for root in roots:
        for item in root.iter(f"{cp}item"):
            if item is root:
                continue
            if not (item.findtext(f"{cp}title") or "").strip():
                problems.append(f"{item.get('identifier')}: an item needs a title")
            ref = item.get("identifierref")
            if ref is not None and ref not in resources:
                problems.append(f"{item.get('identifier')}: {ref!r} is no resource")
            if ref is not None and item.find(f"{cp}item") is not None:
                problems.append(
                    f"{item.get('identifier')}: an item with a resource has no children"
                )
    return problems


def package_rules(manifest: ET.Element, names: set[str]) -> list[str]:
    """Every href names a file in the zip, every file in the zip is listed, and each LAO's
    folder holds that LAO's descriptor alone (CC 1.x section 1.4)."""
    cp = _ns(manifest)
    problems = []
    listed: dict[str, str] = {}
    for resource in manifest.iter(f"{cp}resource"):
        hrefs = [resource.get("href")] if resource.get("href") is not None else []
        hrefs += [file.get("href") for file in resource.findall(f"{cp}file")]
        for href in hrefs:
            if posixpath.normpath(href) not in names:
                problems.append(
                    f"{resource.get('identifier')}: href {href!r} is not in the package"
                )
        for file in resource.findall(f"{cp}file"):
            listed[file.get("href")] = resource.get("identifier")
    problems += [
        f"{name} is in the zip but not in the manifest"
        for name in names - set(listed) - {"imsmanifest.xml"}
    ]
    for resource in manifest.iter(f"{cp}resource"):
        if not resource.get("type", "").startswith(LAO_PREFIXES):
            continue
        descriptor = resource.find(f"{cp}file")
        folder = posixpath.dirname(descriptor.get("href")) if descriptor is not None else ""
        if not folder:
            problems.append(
                f"{resource.get('identifier')}: a learning object needs a folder of its own"
            )
            continue
        for href, owner in listed.items():
            if href.startswith(folder + "/") and owner != resource.get("identifier"):
                problems.append(
                    f"{href} ({owner}) is in the folder of {resource.get('identifier')}"
                )
    return problems


def metadata_rules(manifest: ET.Element, schemaversion: str) -> list[str]:
    """The manifest names the CC schema and this version."""
    cp = _ns(manifest)
    problems = []
    if manifest.findtext(f"{cp}metadata/{cp}schema") != "IMS Common Cartridge":
        problems.append("metadata/schema must be 'IMS Common Cartridge'")
    if manifest.findtext(f"{cp}metadata/{cp}schemaversion") != schemaversion:
        problems.append(f"metadata/schemaversion must be {schemaversion!r}")
    return problems


def qti_rules(root: ET.Element, name: str) -> list[str]:
    """The CC QTI profile's Schematron rules for an assessment of essay items."""
    problems = []
    assessments = root.findall(f"{QTI}assessment")
    if len(assessments) != 1:
        return [f"{name}: one assessment per file, found {len(assessments)}"]
    assessment = assessments[0]
    fields = _fields(assessment.find(f"{QTI}qtimetadata"))
    if [entry for label, entry in fields if label == "cc_profile"] != ["cc.exam.v0p1"]:
        problems.append(f"{name}: the assessment needs exactly one cc_profile = cc.exam.v0p1")
    if ("qmd_assessmenttype", "Examination") not in fields:
        problems.append(f"{name}: qmd_assessmenttype must be Examination")
    if len(assessment.findall(f"{QTI}section")) != 1:
        problems.append(f"{name}: an assessment holds exactly one section")
    for item in assessment.iter(f"{QTI}item"):
        ident = item.get("ident")
        item_fields = _fields(item.find(f"{QTI}itemmetadata"))
        if ("cc_profile", "cc.essay.v0p1") not in item_fields:
            problems.append(f"{name}: {ident}: not an essay item")
        if ("qmd_computerscored", "No") not in item_fields:
            problems.append(f"{name}: {ident}: an essay sets qmd_computerscored = No")
        if item.find(f"{QTI}presentation/{QTI}response_str/{QTI}render_fib") is None:
            problems.append(f"{name}: {ident}: an essay answers in response_str/render_fib")
        if item.find(f".//{QTI}varequal") is not None:
            problems.append(f"{name}: {ident}: an essay has no correct answer")
    return problems


def check(path: str, schemaversion: str) -> list[str]:
    """Every rule above, over the whole package at ``path``."""
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        manifest = ET.fromstring(archive.read("imsmanifest.xml"))
        problems = metadata_rules(manifest, schemaversion)
        problems += organization_rules(manifest) + resource_rules(manifest)
        problems += package_rules(manifest, names)
        for name in sorted(names):
            if name.endswith(".xml") and name != "imsmanifest.xml":
                root = ET.fromstring(archive.read(name))
                if root.tag == f"{QTI}questestinterop":
                    problems += qti_rules(root, name)
    return problems
