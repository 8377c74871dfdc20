"""PAdES baseline levels (ETSI EN 319 142-1), named once; importing this needs no pyHanko."""

LEVELS = ("B-B", "B-T", "B-LT", "B-LTA")
"""The levels, lowest first: seal only; plus a timestamp; plus revocation data; plus document
timestamps (see `tpi_forms.pdf.seal`)."""
