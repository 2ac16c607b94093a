"""Disclosures, consent records and sharing decisions (issue 3)."""
