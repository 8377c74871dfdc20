"""Screening: answers validated, the planned procedure, the explainable rules."""
