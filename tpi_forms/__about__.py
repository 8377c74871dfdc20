"""Version of tpi_forms, kept in this one place."""

__version__ = "0.1.0"
