"""HTML: the WTForms screening form and the pages that show it and the consent."""
