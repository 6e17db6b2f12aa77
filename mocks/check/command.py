"""``standin check``: the contract suite against a live target, from the command line."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from standin.apis import API_KEYS


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    check = commands.add_parser(
        "check",
        help="run an API's contract suite against a live target",
        description=(
            "Run the contract's operations against a live base URL (the vendor, a deployed "
            "standin, or `standin serve`) with schemathesis' checks. Read-only and token "
            "operations only, unless --allow-writes. Exit code 0 only when every check passed."
        ),
    )
    check.add_argument(
        "--api", required=True, choices=API_KEYS, help="the API whose contract to check"
    )
    check.add_argument(
        "--base-url",
        required=True,
        help="where the contract's paths start, e.g. http://127.0.0.1:8000/atrius",
    )
    check.add_argument(
        "--credentials",
        type=Path,
        help="JSON in the shape of GET /_sandbox/credentials for the api "
        "(default: ask the target, when it is a standin)",
    )
    check.add_argument(
        "--allow-writes",
        action="store_true",
        help="also run POST/PUT/PATCH/DELETE operations (Metasys: only on objects the check "
        "creates, STANDIN-CHECK-...; never a site's devices)",
    )
    check.add_argument(
        "--max-examples", type=_positive, default=20, help="examples per operation (default 20)"
    )
    check.add_argument(
        "--seed", type=int, default=0, help="seed of the generated examples (default 0)"
    )
    check.add_argument(
        "--requests-per-minute",
        type=_positive,
        help="pace under this limit instead of the documented one (a vendor plan's, say)",
    )
    check.add_argument(
        "--admin-token",
        default=os.environ.get("STANDIN_ADMIN_TOKEN") or None,
        help="a standin's control-plane admin token, to ask it for the default tenant's "
        "credentials (also STANDIN_ADMIN_TOKEN)",
    )
    check.add_argument(
        "--tenant-token",
        default=os.environ.get("STANDIN_TENANT_TOKEN") or None,
        help="a standin tenant's token (st_...), to check with that tenant's credentials "
        "(also STANDIN_TENANT_TOKEN)",
    )
    check.add_argument("--junit-xml", type=Path, help="write the results as JUnit XML here")
    check.add_argument(
        "--json",
        action="store_true",
        help="print the results as JSON instead of the summary (progress still goes to stderr)",
    )
    check.set_defaults(handler=main)


def main(args: argparse.Namespace) -> int:
    try:
        from standin.check.credentials import NoCredentials
        from standin.check.profiles import CredentialsRefused
        from standin.check.progress import progress_for
        from standin.check.report import report_json, summary, write_junit_xml
        from standin.check.runner import CheckOptions, run_check
    except ImportError as exc:
        print(
            f"standin check: {exc.name} is missing; install standin with its extra: "
            "pip install 'standin[check]'",
            file=sys.stderr,
        )
        return 2
    options = CheckOptions(
        api=args.api,
        base_url=args.base_url,
        credentials=args.credentials,
        allow_writes=args.allow_writes,
        max_examples=args.max_examples,
        seed=args.seed,
        requests_per_minute=args.requests_per_minute,
        admin_token=args.admin_token,
        tenant_token=args.tenant_token,
    )
    try:
        # Progress goes to stderr, as it happens; the summary to stdout at the end.
        with progress_for(sys.stderr) as progress:
            report = run_check(options, progress=progress)
    except (NoCredentials, CredentialsRefused) as exc:
        print(f"standin check: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report_json(report, options.max_examples), indent=2))
    else:
        print(summary(report, options.max_examples))
    if args.junit_xml is not None:
        write_junit_xml(report, args.junit_xml)
    return 0 if report.ok else 1
