"""Op-table families: each module exports OPS (list of OpInfo) and optionally NOT_OPS."""
