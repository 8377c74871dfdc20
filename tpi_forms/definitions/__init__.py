"""Definitions as data: questionnaires, consents, clinics, conditions and their text."""
