"""Languages: which catalogs are usable, and CLDR's gaps filled for dates and zones."""
