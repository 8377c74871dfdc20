"""PDF packets: signed and blank, rendered with WeasyPrint, batched and sealed."""
