"""IMS Common Cartridge 1.3 and 1.1 packages of a book and of its assignments (no Sphinx).

A builder describes what goes in with the :mod:`~classbook.cartridge.model` types and
calls :func:`cartridge_bytes` or :func:`write_cartridge` once per CC version.
"""

from classbook.cartridge.assignment import assignment_cartridge
from classbook.cartridge.build import cartridge_bytes, write_cartridge
from classbook.cartridge.model import (
    Assignment,
    Cartridge,
    Discussion,
    EssayQuiz,
    File,
    Item,
    Module,
    Page,
    Part,
    WebLink,
)
from classbook.cartridge.package import package_files
from classbook.cartridge.profiles import CC11, CC13, PROFILES, Profile
from classbook.cartridge.siteurl import SiteURLError, check_base_url

__all__ = [
    "CC11",
    "CC13",
    "PROFILES",
    "Assignment",
    "Cartridge",
    "Discussion",
    "EssayQuiz",
    "File",
    "Item",
    "Module",
    "Page",
    "Part",
    "Profile",
    "SiteURLError",
    "WebLink",
    "assignment_cartridge",
    "cartridge_bytes",
    "check_base_url",
    "package_files",
    "write_cartridge",
]
