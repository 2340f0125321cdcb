"""Judges of the Common Cartridge packages: official schemas, CC rules and independent readers."""
