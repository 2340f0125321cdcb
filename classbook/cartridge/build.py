"""Build a cartridge's package: its files, its zip bytes, or the ``.imscc`` file itself."""

from __future__ import annotations

from pathlib import Path

from classbook.cartridge import archive
from classbook.cartridge.model import Cartridge
from classbook.cartridge.package import MANIFEST, package_files
from classbook.cartridge.profiles import CC13, Profile


def cartridge_bytes(
    cartridge: Cartridge,
    *,
    base_url: str | None,
    profile: Profile = CC13,
    setting: str = "html_baseurl",
) -> bytes:
    """The ``.imscc`` bytes of ``cartridge`` in ``profile``'s CC version: the same model
    and files give the same bytes. Raises :class:`~classbook.cartridge.siteurl.SiteURLError`
    when ``base_url`` (the configuration value ``setting``) is missing or a placeholder."""
    files = package_files(cartridge, profile, base_url, setting)
    return archive.zip_bytes(files, first=MANIFEST)


def write_cartridge(
    cartridge: Cartridge,
    target: Path,
    *,
    base_url: str | None,
    profile: Profile = CC13,
    setting: str = "html_baseurl",
) -> Path:
    """Write the ``.imscc`` to ``target`` atomically (nothing is written on an error)."""
    data = cartridge_bytes(cartridge, base_url=base_url, profile=profile, setting=setting)
    return archive.write_atomic(data, target)
