"""make verify reads what a reader reads: what the outputs add inside a paragraph (a page
badge, a footnote marker, a printed address) is never taken for lost text."""

from __future__ import annotations

from classbook.publish.verify import (
    _PRINTED_FORMULAS,
    _PRINTED_URL,
    FORMULA,
    check,
    formulas,
    html_text,
)


def test_a_page_badge_and_a_footnote_marker_inside_a_paragraph_are_ours() -> None:
    page = (
        '<p>See cdecl<a class="footnote-reference brackets" href="#id3" role="doc-noteref">'
        '<span class="fn-bracket">[</span>31<span class="fn-bracket">]</span></a> for C, '
        'and <span class="classbook-page" role="doc-pagebreak" id="page-7" aria-label="Page 7">'
        "p.&#160;7</span>the rest.</p>"
    )
    text, _links = html_text(page)
    assert text == "See cdecl for C, and the rest."
    assert check("html", text, ["See cdecl for C, and the rest."]).ok
    # The same words without our additions are still told apart from real loss.
    assert not check("html", text, ["See cdecl for C++, and the rest."]).ok


def test_print_addresses_after_links_are_not_lost_text() -> None:
    printed = "Read the guide (https://example.net/a/ b) first, then (see above) go on."
    assert _PRINTED_URL.sub("", printed) == "Read the guide first, then (see above) go on."
    finding = check("pdf/x.pdf", _PRINTED_URL.sub("", printed), ["Read the guide first,"], pdf=True)
    assert finding.ok
    # A source that writes an address in parentheses itself is found in print too.
    own = "Mail us (mailto:a@b.example) today."
    assert check("pdf/x.pdf", _PRINTED_URL.sub("", own), [own], pdf=True).ok


def test_a_formula_is_compared_as_one_whatever_each_output_draws() -> None:
    page = (
        '<p>The speed is <math alttext="v equals d over t"><mi>v</mi><mo>=</mo><mfrac><mi>d</mi>'
        '<mi>t</mi></mfrac><annotation encoding="application/x-tex">v = \\frac{d}{t}</annotation>'
        "</math> for a body.</p>"
    )
    tex = formulas(page)
    assert tex == {"v = \\frac{d}{t}"}
    unit = "The speed is v = \\frac{d}{t} for a body."
    assert check("html", html_text(page)[0], [unit], tex=tex).ok
    printed = "The speed is \U000f0000 for a body."  # a glyph of the PDF's formula font
    assert check("pdf/x.pdf", _PRINTED_FORMULAS.sub(FORMULA, printed), [unit], tex=tex).ok
    # A formula dropped from an output is still lost text.
    assert not check("html", "The speed is for a body.", [unit], tex=tex).ok
