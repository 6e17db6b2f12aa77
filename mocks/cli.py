"""The ``standin`` command: ``serve`` the fakes, print ``credentials``, ``check`` a target."""

from __future__ import annotations

import argparse
import ipaddress
import os
import secrets
import signal
import sys
from collections.abc import Sequence

import orjson
import uvicorn

from standin import demo
from standin.check import command as check_command
from standin.registry import API_FACTORIES, create_sandbox
from standin.server import build_app

GRACEFUL_SHUTDOWN_SECONDS = 2
"""How long a stop waits for open responses (event streams) before cancelling them."""


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(args: argparse.Namespace) -> int:
    admin_token = args.admin_token or os.environ.get("STANDIN_ADMIN_TOKEN") or None
    if admin_token is None and not _is_loopback(args.host):
        admin_token = secrets.token_urlsafe(24)
        print(f"standin: control plane admin token: {admin_token}", file=sys.stderr)
    apis = None if args.api is None else [args.api]
    sandbox = create_sandbox(
        apis, seed=args.seed, journal_capacity=args.journal_size, admin_token=admin_token
    )
    app = build_app(sandbox, args.api)
    where = f"http://{args.host}:{args.port}"
    print(f"standin: serving {', '.join(sandbox.apis)} on {where}", file=sys.stderr)
    # uvicorn shuts down gracefully on SIGINT/SIGTERM, then re-raises the signal; we turn that
    # into a clean exit 0 instead of death by signal.
    previous = signal.signal(signal.SIGTERM, _stop)
    try:
        uvicorn.run(
            app,
            host=args.host,
            port=args.port,
            log_level=args.log_level,
            # Open event streams never end by themselves; without a bound, a graceful shutdown
            # would wait for every streaming client to leave.
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        )
    except (KeyboardInterrupt, _Stopped):
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
    print("standin: stopped", file=sys.stderr)
    return 0


class _Stopped(Exception):
    """SIGTERM arrived (after uvicorn's graceful shutdown)."""


def _stop(signum: int, frame: object) -> None:
    raise _Stopped


def credentials(args: argparse.Namespace) -> int:
    sandbox = create_sandbox()
    creds = sandbox.credentials()
    if args.api:
        creds = {args.api: creds[args.api]}
    if args.json:
        print(orjson.dumps(creds, option=orjson.OPT_INDENT_2).decode())
        return 0
    for api, values in creds.items():
        print(f"[{api}]")
        for name, value in values.items():
            if name == "keys":
                continue
            shown = ", ".join(value) if isinstance(value, list) else value
            print(f"  {name}: {shown}")
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="standin", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)

    run = commands.add_parser("serve", help="serve the fakes over HTTP")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8000)
    run.add_argument("--api", choices=sorted(API_FACTORIES), help="serve one API at the root")
    run.add_argument("--admin-token", help="require this X-Standin-Admin-Token on /_sandbox")
    run.add_argument("--seed", type=int, default=0)
    run.add_argument("--journal-size", type=int, default=1000)
    run.add_argument("--log-level", default="info")
    run.set_defaults(handler=serve)

    walk = commands.add_parser("demo", help="run each reference client through its workflow")
    demo.configure(walk)
    walk.set_defaults(handler=demo.main)

    creds = commands.add_parser("credentials", help="print the default tenant's credentials")
    creds.add_argument("--json", action="store_true")
    creds.add_argument("--api", choices=sorted(API_FACTORIES))
    creds.set_defaults(handler=credentials)

    check_command.add_parser(commands)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    code: int = args.handler(args)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
