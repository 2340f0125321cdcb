"""A QTI 1.2.1 assessment (CC profile) of essay questions: free text, scored by a teacher."""

from __future__ import annotations

from collections.abc import Sequence

from lxml import etree
from lxml.builder import ElementMaker

from classbook.cartridge import xmlout
from classbook.cartridge.profiles import QTI, XSI, Profile

_E = ElementMaker(namespace=QTI, nsmap={None: QTI, "xsi": XSI})


def _metadata(*fields: tuple[str, str]) -> etree._Element:
    return _E.qtimetadata(
        *(
            _E.qtimetadatafield(_E.fieldlabel(label), _E.fieldentry(entry))
            for label, entry in fields
        )
    )


def _essay(ident: str, title: str, prompt_html: str) -> etree._Element:
    """One essay item: a text box, no correct answer, never scored by the computer."""
    return _E.item(
        _E.itemmetadata(_metadata(("cc_profile", "cc.essay.v0p1"), ("qmd_computerscored", "No"))),
        _E.presentation(
            _E.material(_E.mattext(prompt_html, texttype="text/html")),
            _E.response_str(
                _E.render_fib(_E.response_label(ident=f"{ident}_a", rshuffle="No")),
                ident=f"{ident}_r",
                rcardinality="Single",
            ),
        ),
        _E.resprocessing(
            _E.outcomes(
                _E.decvar(varname="SCORE", vartype="Decimal", minvalue="0", maxvalue="100")
            ),
            _E.respcondition(_E.conditionvar(_E.other()), {"continue": "No"}),
        ),
        ident=ident,
        title=xmlout.line(title),
    )


def assessment(
    profile: Profile, ident: str, title: str, items: Sequence[tuple[str, str, str]]
) -> bytes:
    """The assessment document; ``items`` are (identifier, title, prompt as HTML)."""
    root = _E.questestinterop(
        _E.assessment(
            # The CC profile's mandatory metadata: its profile and type, and attempts.
            _metadata(
                ("cc_profile", "cc.exam.v0p1"),
                ("qmd_assessmenttype", "Examination"),
                ("cc_maxattempts", "unlimited"),
            ),
            _E.section(*(_essay(*item) for item in items), ident=f"{ident}_section"),
            ident=ident,
            title=xmlout.line(title),
        )
    )
    root.set(f"{{{XSI}}}schemaLocation", profile.location(QTI))
    return xmlout.document(root)
