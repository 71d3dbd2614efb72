"""Data quality per dealer and month: rules (``rules``), computation (``services``), reads for
the pages (``selectors``), pages (``views``)."""
