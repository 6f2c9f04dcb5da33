"""spconv front end (issue 13): the 1.x namespace `spconv` (2.x under `spconv.pytorch`) on the
kit's sparse engine. Work in progress."""
