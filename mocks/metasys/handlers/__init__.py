"""Metasys request handlers, grouped by resource (the route table is ``standin.metasys.routes``)."""
