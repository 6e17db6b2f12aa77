"""The ``standin`` command answers bad input as argparse does, never with a traceback."""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from standin import create_sandbox
from standin.apis import API_KEYS
from standin.cli import main, parser
from standin.registry import API_FACTORIES


def test_credentials_text_lists_every_value_including_numeric_partner_ids(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["credentials"]) == 0
    out = capsys.readouterr().out
    assert "[locus]" in out
    assert "  partner_ids: 123, 456, 111" in out
    assert main(["credentials", "--api", "locus"]) == 0
    assert capsys.readouterr().out.startswith("[locus]\n")


OUTPUT_TESTS = {
    # subcommand: where its plain and --json outputs are tested
    "credentials": "tests/core/test_cli.py (below)",
    "check": "tests/check/test_check.py (the command's summary and --json)",
    "demo": "tests/harness/test_demo.py (the step lines, the summary and --json)",
    # serve prints no data, only what it serves and that it stopped (stderr): no --json.
    "serve": "tests/core/test_server_and_cli.py (its stderr lines)",
}


def test_every_subcommand_has_its_output_tested_here_or_where_this_says() -> None:
    subcommands = next(
        action for action in parser()._actions if isinstance(action, argparse._SubParsersAction)
    )
    assert set(subcommands.choices) == set(OUTPUT_TESTS)
    for name, command in subcommands.choices.items():
        options = {o for action in command._actions for o in action.option_strings}
        assert ("--json" in options) == (name != "serve"), name


def test_credentials_text_is_every_apis_fields_one_a_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["credentials"]) == 0
    lines = capsys.readouterr().out.splitlines()
    sections = [line[1:-1] for line in lines if line.startswith("[")]
    assert sections == list(API_FACTORIES)
    for line in lines:
        assert line.startswith("[") or re.fullmatch(r"  [a-z_]+: \S.*", line), line
    assert lines[lines.index("[locus]") + 1 :][:6] == [
        "  client_id: standin-locus-client",
        "  client_secret: standin-locus-secret",
        "  username: solarnoc-demo",
        "  password: sunny-days-2026",
        "  partner_id: 123",
        "  partner_ids: 123, 456, 111",
    ]


def test_credentials_json_is_the_control_planes_credentials_exactly(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["credentials", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == create_sandbox().credentials()
    assert list(printed) == list(API_FACTORIES)
    assert main(["credentials", "--api", "locus", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "locus": {
            "client_id": "standin-locus-client",
            "client_secret": "standin-locus-secret",
            "username": "solarnoc-demo",
            "password": "sunny-days-2026",
            "partner_id": 123,
            "partner_ids": [123, 456, 111],
        }
    }


@pytest.mark.parametrize(
    ("argv", "complaint"),
    [
        (["serve", "--port", "99999"], "argument --port: a port is 0 to 65535, not 99999"),
        (["serve", "--port", "eighty"], "argument --port: not a port number: 'eighty'"),
        (["serve", "--log-level", "loud"], "argument --log-level: invalid choice: 'loud'"),
        (["serve", "--journal-size", "0"], "argument --journal-size: must be at least 1, not 0"),
        (["serve", "--journal-bytes", "0"], "argument --journal-bytes: must be at least 1, not 0"),
        (["credentials", "--api", "nope"], "argument --api: invalid choice: 'nope'"),
        (
            ["serve", "--tenant-ttl", "0"],
            "argument --tenant-ttl: must be a positive number of seconds, not 0",
        ),
        (
            ["serve", "--tenant-ttl", "soon"],
            "argument --tenant-ttl: not a number of seconds: 'soon'",
        ),
    ],
)
def test_bad_options_get_a_usage_line_and_a_one_line_error_with_exit_2(
    argv: list[str], complaint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: standin ")
    assert complaint in err.rstrip().splitlines()[-1]
    assert "Traceback" not in err


def test_version_prints_the_installed_version(capsys: pytest.CaptureFixture[str]) -> None:
    import standin

    with pytest.raises(SystemExit) as stopped:
        main(["--version"])
    assert stopped.value.code == 0
    assert capsys.readouterr().out == f"standin {standin.__version__}\n"
    assert standin.__version__ != "0+unknown"


def test_every_option_of_every_subcommand_has_help_text() -> None:
    from standin.cli import parser

    root = parser()
    subcommands = next(a for a in root._actions if a.dest == "command").choices
    assert subcommands is not None
    for name, sub in subcommands.items():
        for action in sub._actions:
            assert action.help, f"standin {name} {'/'.join(action.option_strings)} has no help"


def test_the_command_line_imports_no_fake_until_a_subcommand_runs() -> None:
    probe = (
        "import sys, standin.cli; standin.cli.parser();"
        "print(sorted(m for m in sys.modules if m.startswith('standin.')))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True
    ).stdout
    for api in API_KEYS:
        assert f"'standin.{api}" not in loaded, loaded
    assert "'standin.clients" not in loaded, loaded


def test_serve_gives_the_journal_its_entry_and_byte_bounds() -> None:
    from standin.cli import _sandbox

    args = parser().parse_args(["serve", "--journal-size", "7", "--journal-bytes", "4096"])
    sandbox = _sandbox(args, ["atmotube"], None, False)
    assert (sandbox.journal.capacity, sandbox.journal.byte_budget) == (7, 4096)
    default = _sandbox(parser().parse_args(["serve"]), ["atmotube"], None, False)
    assert (default.journal.capacity, default.journal.byte_budget) == (1000, 2 * 1024 * 1024)


def test_the_light_list_of_apis_is_the_registrys() -> None:
    assert tuple(API_FACTORIES) == API_KEYS


def test_the_tls_certificate_is_kept_in_the_data_directory_when_there_is_one(
    tmp_path: Path,
) -> None:
    from standin.cli import _tls_dir, parser

    args = parser().parse_args(["serve", "--tls", "--data-dir", str(tmp_path)])
    assert _tls_dir(args) == tmp_path / "tls"
    chosen = parser().parse_args(["serve", "--tls", "--tls-dir", str(tmp_path / "mine")])
    assert _tls_dir(chosen) == tmp_path / "mine"
