"""The consent document for one plan, and the signatures given on it."""
