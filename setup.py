"""The one import package, ``standin``, is assembled from the repository's top-level folders:
``mocks/`` is ``standin`` itself, ``clients/``, ``contracts/`` and ``fixtures/`` its subpackages.
The folders keep their product-card names; only the import names change (see README, Layout)."""

from setuptools import find_packages, setup

FOLDERS = {
    "standin": "mocks",
    "standin.clients": "clients",
    "standin.contracts": "contracts",
    "standin.fixtures": "fixtures",
}


def packages() -> list[str]:
    found: list[str] = []
    for name, folder in FOLDERS.items():
        found.append(name)
        found += [
            f"{name}.{sub}" for sub in find_packages(folder) if f"{name}.{sub}" not in FOLDERS
        ]
    return found


setup(package_dir=FOLDERS, packages=packages())
