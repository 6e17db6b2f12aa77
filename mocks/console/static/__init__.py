"""The console's files: a package of its own so that setuptools ships them as its data."""
