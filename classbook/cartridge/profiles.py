"""The two Common Cartridge versions written: every namespace and type string that differs."""

from __future__ import annotations

from dataclasses import dataclass

XSI = "http://www.w3.org/2001/XMLSchema-instance"
#: QTI 1.2.1 has one namespace in every CC version; only its schemaLocation differs.
QTI = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"


@dataclass(frozen=True)
class Profile:
    """One CC version: namespaces, official schema locations and resource types."""

    name: str  # "1.3", "1.1"
    schemaversion: str
    manifest: str
    lom_manifest: str
    lom_resource: str
    weblink: str
    topic: str
    #: Namespace -> the official schema's URL, written in xsi:schemaLocation.
    locations: tuple[tuple[str, str], ...]
    type_weblink: str
    type_topic: str
    type_quiz: str
    #: The 1.1 LOM profile's lifeCycle holds only <contribute>, and its <role> and
    #: <copyrightAndOtherRestrictions> only a <value>: no <version>, no <source>.
    lom_version: bool
    lom_sources: bool
    #: The values of a resource's ``intendeduse`` (1.1 has no ``assignment``).
    intended_uses: frozenset[str]

    def location(self, *namespaces: str) -> str:
        """The xsi:schemaLocation value for ``namespaces``."""
        table = dict(self.locations)
        return " ".join(f"{namespace} {table[namespace]}" for namespace in namespaces)


def _profile(name: str, version: str, vocab: str) -> Profile:
    # CC 1.1 and 1.3 differ only by "v1p1" / "v1p3" in these strings.
    short = "v" + version.replace(".", "p")
    base = f"http://www.imsglobal.org/profile/cc/cc{short}/"
    manifest = f"http://www.imsglobal.org/xsd/imscc{short}/imscp_v1p1"
    lom_manifest = f"http://ltsc.ieee.org/xsd/imscc{short}/LOM/manifest"
    lom_resource = f"http://ltsc.ieee.org/xsd/imscc{short}/LOM/resource"
    weblink = f"http://www.imsglobal.org/xsd/imscc{short}/imswl_{short}"
    topic = f"http://www.imsglobal.org/xsd/imscc{short}/imsdt_{short}"
    return Profile(
        name=name,
        schemaversion=f"{version}.0",
        manifest=manifest,
        lom_manifest=lom_manifest,
        lom_resource=lom_resource,
        weblink=weblink,
        topic=topic,
        locations=(
            (manifest, f"{base}cc{short}_imscp_v1p2_v1p0.xsd"),
            (lom_manifest, f"{base}LOM/cc{short}_lommanifest_v1p0.xsd"),
            (lom_resource, f"{base}LOM/cc{short}_lomresource_v1p0.xsd"),
            (weblink, f"{base}cc{short}_imswl_{short}.xsd"),
            (topic, f"{base}cc{short}_imsdt_{short}.xsd"),
            (QTI, f"{base}cc{short}_qtiasiv1p2p1_v1p0.xsd"),
        ),
        type_weblink=f"imswl_xml{short}",
        type_topic=f"imsdt_xml{short}",
        type_quiz=f"imsqti_xmlv1p2/imscc_xml{short}/assessment",
        lom_version=vocab == "full",
        lom_sources=vocab == "full",
        intended_uses=frozenset(
            {"lessonplan", "syllabus", "unspecified"}
            | ({"assignment"} if vocab == "full" else set())
        ),
    )


CC13 = _profile("1.3", "1.3", "full")
CC11 = _profile("1.1", "1.1", "restricted")
#: Every version written, by name.
PROFILES = {profile.name: profile for profile in (CC13, CC11)}
