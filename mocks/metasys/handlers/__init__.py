"""Metasys request handlers, grouped by resource (the route table is ``mocks.metasys.routes``)."""
