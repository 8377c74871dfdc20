"""Version of tpi_forms, kept in this one place."""

__version__ = "0.2.0.dev0"
