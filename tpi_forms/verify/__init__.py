"""Verification of packets years later."""
