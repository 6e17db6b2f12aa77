"""Thin httpx reference clients, one module per vendor (shared pieces in ``_http``)."""
