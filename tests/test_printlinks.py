"""Print writes an external link's address after its words, once: not after an address."""

from __future__ import annotations

from docutils import nodes
from docutils.frontend import get_default_settings
from docutils.parsers.rst import Parser
from docutils.utils import new_document

from classbook.builders.printlinks import SHOWN, AddressShown


def _marked(text: str) -> dict[str, bool]:
    document = new_document("<test>", get_default_settings(Parser))
    Parser().parse(text, document)
    AddressShown(document).run()
    return {link.astext(): SHOWN in link["classes"] for link in document.findall(nodes.reference)}


def test_a_link_whose_words_are_its_address_is_marked_and_no_other() -> None:
    marked = _marked(
        "See http://zfcg.example.gov.cn/ and `www.example.org <https://www.example.org/>`_, "
        "`the guide <https://example.org/guide>`_ and `HTTPS://Example.org/A "
        "<https://example.org/b>`_."
    )
    assert marked == {
        "http://zfcg.example.gov.cn/": True,
        "www.example.org": True,
        "the guide": False,
        "HTTPS://Example.org/A": False,
    }
