"""The package's ``imsmanifest.xml``: metadata, the organization tree and the resources."""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree
from lxml.builder import ElementMaker

from classbook.cartridge import xmlout
from classbook.cartridge.lom import lom
from classbook.cartridge.model import Cartridge
from classbook.cartridge.profiles import XSI, Profile


@dataclass(frozen=True)
class Resource:
    """One resource: its type, its files and, for content launched from an item, its href."""

    identifier: str
    type: str
    files: tuple[str, ...]
    href: str | None = None
    intended_use: str | None = None


@dataclass(frozen=True)
class Node:
    """One item of the organization: a folder (children, no resource) or a leaf (resource)."""

    identifier: str
    title: str
    resource: str | None = None
    children: tuple[Node, ...] = ()


def _item(m: ElementMaker, node: Node) -> etree._Element:
    item = m.item(m.title(xmlout.line(node.title)), identifier=node.identifier)
    if node.resource:
        item.set("identifierref", node.resource)
    item.extend(_item(m, child) for child in node.children)
    return item


def _resource(m: ElementMaker, resource: Resource) -> etree._Element:
    element = m.resource(identifier=resource.identifier, type=resource.type)
    if resource.href is not None:
        element.set("href", resource.href)
    if resource.intended_use:
        element.set("intendeduse", resource.intended_use)
    element.extend(m.file(href=path) for path in resource.files)
    return element


def manifest(
    profile: Profile, cartridge: Cartridge, tree: tuple[Node, ...], resources: tuple[Resource, ...]
) -> bytes:
    """The manifest document: ``tree`` hangs under the organization's untitled root item
    (the CC profile's rooted hierarchy), ``resources`` in the order given."""
    m = ElementMaker(
        namespace=profile.manifest,
        nsmap={
            None: profile.manifest,
            "lomimscc": profile.lom_manifest,
            "lom": profile.lom_resource,
            "xsi": XSI,
        },
    )
    root_item = m.item(identifier="ROOT")
    root_item.extend(_item(m, node) for node in tree)
    document = m.manifest(
        m.metadata(m.schema("IMS Common Cartridge"), m.schemaversion(profile.schemaversion)),
        m.organizations(m.organization(root_item, identifier="ORG", structure="rooted-hierarchy")),
        m.resources(*(_resource(m, resource) for resource in resources)),
        identifier=f"MANIFEST_{cartridge.key}",
    )
    document[0].append(lom(profile, cartridge))
    document.set(
        f"{{{XSI}}}schemaLocation",
        profile.location(profile.manifest, profile.lom_manifest, profile.lom_resource),
    )
    return xmlout.document(document)
