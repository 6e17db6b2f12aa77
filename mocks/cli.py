"""The ``standin`` command: ``serve`` the fakes, print ``credentials``, ``check`` a target."""

from __future__ import annotations

import argparse
import gc
import ipaddress
import math
import os
import secrets
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import standin
from standin._core.journal import DEFAULT_BYTE_BUDGET
from standin.apis import API_KEYS
from standin.check import command as check_command

if TYPE_CHECKING:
    from starlette.types import ASGIApp

LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")

GRACEFUL_SHUTDOWN_SECONDS = 2
"""How long a stop waits for open responses (event streams) before cancelling them."""
KEEP_ALIVE_SECONDS = 5
"""How long `standin serve` keeps an idle connection open (uvicorn's ``timeout_keep_alive``,
pinned here rather than left to uvicorn's default). Another replica's gateway keeps its idle
connections to this one for ``standin._core.cluster.gateway.KEEP_ALIVE_EXPIRY_S`` (2 s) and
must be the one to close them: a request it sent on a connection this server was closing would
be lost, and a ``POST`` cannot be sent again. So this must stay well above the gateway's."""
SWITCH_INTERVAL_S = 0.001
"""How long a thread holds the GIL before another may take it, in `standin serve`."""
FULL_COLLECTION_EVERY = 100
"""In `standin serve`, the collector's oldest generation is collected after this many collections
of the middle one (Python's default: 10). A full collection walks every object requests left
alive (1,000 open Metasys streams are some hundreds of thousands) and holds the event loop for
tens of milliseconds; it was what made the stream matrix's p99 lag (bench.streams)."""


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    from standin._core import accesslog
    from standin.server import build_app

    admin_token = args.admin_token or os.environ.get("STANDIN_ADMIN_TOKEN") or None
    # Whether a local client may skip the token is decided per request by its own address;
    # a bind beyond loopback means other machines are expected, so everyone shows one.
    shared = args.shared or not _is_loopback(args.host)
    if admin_token is None and shared:
        admin_token = secrets.token_urlsafe(24)
        print(f"standin: control plane admin token: {admin_token}", file=sys.stderr)
    apis = None if args.api is None else [args.api]
    try:
        sandbox = _sandbox(args, apis, admin_token, shared)
    except Unreachable as down:
        print(f"standin: {down}", file=sys.stderr)
        return 1
    app = build_app(sandbox, args.api)
    if args.cors:
        app = with_cors(app, args.cors)
    tls = _tls_files(args)
    where = f"{'https' if tls else 'http'}://{args.host}:{args.port}"
    print(f"standin: serving {', '.join(sandbox.apis)} on {where}", file=sys.stderr)
    if args.data_dir is not None:
        print(f"standin: keeping state in {args.data_dir}", file=sys.stderr)
    if args.redis is not None:
        from standin._core.cluster.connection import shown

        print(
            f"standin: sharing one sandbox through Redis at {shown(args.redis)}; other replicas "
            f"reach this one at {_advertise_url(args)}",
            file=sys.stderr,
        )
    # uvicorn shuts down gracefully on SIGINT/SIGTERM, then re-raises the signal; we turn that
    # into a clean exit 0 instead of death by signal.
    previous = signal.signal(signal.SIGTERM, _stop)
    accesslog.configure(args.log_level)
    # Long answers are built on worker threads (Atrius' long series, Atmotube, certificates,
    # Locus): the event loop then waits for the GIL up to the switch interval each time it
    # wakes. 5 ms by default; 1 ms keeps a cheap request beside a heavy one near its own time.
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    # What start-up built (fixtures, contracts, route tables) lives as long as the server: out of
    # the collector's sight, a full collection walks only what requests made since.
    settle_collector()
    try:
        uvicorn.run(
            app,
            host=args.host,
            port=args.port,
            log_level=args.log_level,
            # Ours instead (standin._core.accesslog): uvicorn's prints query strings, api_key too.
            access_log=False,
            # Open event streams never end by themselves; without a bound, a graceful shutdown
            # would wait for every streaming client to leave.
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
            timeout_keep_alive=KEEP_ALIVE_SECONDS,
            ssl_certfile=None if tls is None else tls[0],
            ssl_keyfile=None if tls is None else tls[1],
        )
    except (KeyboardInterrupt, _Stopped):
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        sandbox.close()
    print("standin: stopped", file=sys.stderr)
    return 0


class Unreachable(Exception):
    """The shared storage a replica needs cannot be reached at start."""


def settle_collector() -> None:
    """What start-up built lives as long as the server: it goes out of the collector's sight
    (frozen), and the oldest generation is collected ten times less often than by default. The
    youngest keeps Python's threshold: collected after 10,000 allocations rather than 700, the
    stream matrix's p99 lag at 1,000 streams went from 51-54 ms to 68-97 ms (bench.streams)."""
    gc.collect()
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_COLLECTION_EVERY)


def _sandbox(
    args: argparse.Namespace, apis: list[str] | None, admin_token: str | None, shared: bool
) -> Any:
    from standin._core.cluster.signals import StorageUnavailable
    from standin.registry import create_sandbox

    try:
        return create_sandbox(
            apis,
            seed=args.seed,
            journal_capacity=args.journal_size,
            journal_bytes=args.journal_bytes,
            admin_token=admin_token,
            shared=shared,
            data_dir=args.data_dir,
            tenant_ttl=args.tenant_ttl,
            redis_url=args.redis,
            advertise_url=_advertise_url(args) if args.redis else None,
        )
    except StorageUnavailable as down:
        detail = down.detail.removesuffix("; retrying")
        raise Unreachable(f"{detail}: start Redis first, then this replica") from None


def _advertise_url(args: argparse.Namespace) -> str:
    """Where other replicas reach this one: --advertise-url, else the bound address (this
    machine's name when bound to every address)."""
    if args.advertise_url:
        return str(args.advertise_url).rstrip("/")
    host = args.host
    if host in ("0.0.0.0", "::", ""):
        import socket

        host = socket.gethostname()
    if ":" in host:
        host = f"[{host}]"
    scheme = "https" if args.tls or args.cert is not None else "http"
    return f"{scheme}://{host}:{args.port}"


def with_cors(app: ASGIApp, origins: Sequence[str]) -> ASGIApp:
    """``app`` answering browsers on ``origins`` (``*`` for any): every method and header, and
    every response header readable (a vendor's Retry-After and rate-limit headers included)."""
    from starlette.middleware.cors import CORSMiddleware

    return CORSMiddleware(
        app, allow_origins=origins, allow_methods=["*"], allow_headers=["*"], expose_headers=["*"]
    )


def _tls_files(args: argparse.Namespace) -> tuple[str, str] | None:
    """The certificate and key to serve HTTPS with: the given ones, or the sandbox's own."""
    if args.cert is not None:
        return str(args.cert), str(args.key)
    if not args.tls:
        return None
    from standin._core.tls import default_names, ensure_certificate

    files = ensure_certificate(_tls_dir(args), default_names(args.host))
    print(
        f"standin: HTTPS with a sandbox certificate; trust {files.ca} "
        f"(e.g. SSL_CERT_FILE={files.ca} or REQUESTS_CA_BUNDLE={files.ca})",
        file=sys.stderr,
    )
    return str(files.certificate), str(files.key)


def _tls_dir(args: argparse.Namespace) -> Path:
    """--tls-dir if given; else the data directory's tls/, so a durable sandbox keeps its
    certificate with its state; else the user's state directory."""
    if args.tls_dir is not None:
        return Path(args.tls_dir)
    if args.data_dir is not None:
        return Path(args.data_dir) / "tls"
    return _default_tls_dir()


def _default_tls_dir() -> Path:
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(os.environ.get("STANDIN_TLS_DIR") or Path(state) / "standin" / "tls")


class _Stopped(Exception):
    """SIGTERM arrived (after uvicorn's graceful shutdown)."""


def _stop(signum: int, frame: object) -> None:
    raise _Stopped


def credentials(args: argparse.Namespace) -> int:
    import orjson

    if args.base_url is None:
        from standin.registry import create_sandbox

        creds = create_sandbox().credentials()
    else:
        found = _served_credentials(args)
        if found is None:
            return 1
        creds = found
    if args.api and args.api not in creds:
        print(f"standin credentials: the server does not serve {args.api}", file=sys.stderr)
        return 1
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
            shown = ", ".join(str(v) for v in value) if isinstance(value, list) else value
            print(f"  {name}: {shown}")
    return 0


def _served_credentials(args: argparse.Namespace) -> dict[str, dict[str, object]] | None:
    """``GET /_sandbox/credentials`` of the standin at ``--base-url``, with the tokens given;
    None (and why, on stderr) when it does not answer them."""
    import httpx

    from standin._core.access import ADMIN_HEADER, TENANT_HEADER

    headers = {}
    if args.admin_token:
        headers[ADMIN_HEADER] = args.admin_token
    if args.tenant_token:
        headers[TENANT_HEADER] = args.tenant_token
    url = args.base_url.rstrip("/") + "/_sandbox/credentials"
    params = {} if args.tenant is None else {"tenant": args.tenant}
    try:
        response = httpx.get(url, headers=headers, params=params, timeout=10)
        answer = response.json()
    except (httpx.HTTPError, ValueError) as error:
        print(f"standin credentials: {url} did not answer as a standin: {error}", file=sys.stderr)
        return None
    if response.status_code != 200 or not isinstance(answer, dict):
        said = answer.get("error") if isinstance(answer, dict) else None
        print(
            f"standin credentials: {url} answered {response.status_code}: {said or answer}",
            file=sys.stderr,
        )
        return None
    return answer


def demo(args: argparse.Namespace) -> int:
    from standin.demo import main as run_demo

    return run_demo(args)


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0 to 65535, not {port}")
    return port


def _origins(text: str) -> list[str]:
    """One ``--cors`` value: an origin, or several separated by commas."""
    origins = [origin.strip().rstrip("/") for origin in text.split(",") if origin.strip()]
    for origin in origins:
        if origin != "*" and not origin.startswith(("http://", "https://")):
            raise argparse.ArgumentTypeError(
                f"an origin is scheme://host[:port] or *, not {origin!r}"
            )
    if not origins:
        raise argparse.ArgumentTypeError("give an origin, e.g. http://localhost:3000")
    return origins


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, not {text}")
    return value


class _Version(argparse.Action):
    """``--version``, reading the installed version only when asked (it costs an import)."""

    def __init__(self, option_strings: Sequence[str], dest: str, help: str | None = None) -> None:
        super().__init__(option_strings, dest, nargs=0, help=help)

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> None:
        print(f"standin {standin.__version__}")
        parser.exit()


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="standin", description=__doc__)
    root.add_argument("--version", action=_Version, help="print standin's version and exit")
    commands = root.add_subparsers(dest="command", required=True)

    run = commands.add_parser("serve", help="serve the fakes over HTTP")
    run.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    run.add_argument("--port", type=_port, default=8000, help="port to bind (default 8000)")
    run.add_argument("--api", choices=API_KEYS, help="serve one API alone, at its vendor paths")
    run.add_argument(
        "--admin-token",
        help="require this X-Standin-Admin-Token on /_sandbox (also STANDIN_ADMIN_TOKEN; one "
        "is generated and printed with --shared or when binding beyond loopback)",
    )
    run.add_argument(
        "--shared",
        action="store_true",
        help="a sandbox others use (e.g. behind a proxy): every /_sandbox request, a local one "
        "too, needs the admin token or a tenant's token (implied by a non-loopback --host)",
    )
    run.add_argument(
        "--seed", type=int, default=0, help="seed of the generated fixture data (default 0)"
    )
    run.add_argument(
        "--journal-size",
        type=_positive,
        default=1000,
        help="requests kept in the journal per tenant, GET /_sandbox/requests (default 1000); "
        "refused logins that name a tenant are kept apart, within a tenth of each bound",
    )
    run.add_argument(
        "--journal-bytes",
        type=_positive,
        default=DEFAULT_BYTE_BUDGET,
        metavar="BYTES",
        help="bytes of journal entries (bodies, headers, path and query) kept per tenant, the "
        f"oldest dropped first (default {DEFAULT_BYTE_BUDGET:,}: 2 MiB)",
    )
    run.add_argument(
        "--tenant-ttl",
        type=_seconds,
        metavar="SECONDS",
        help="remove tenants (never the default one) that no request has reached for this many "
        "seconds of real time, whatever their own clocks say (default: kept until deleted)",
    )
    run.add_argument(
        "--log-level", choices=LOG_LEVELS, default="info", help="server log level (default info)"
    )
    run.add_argument(
        "--tls",
        action="store_true",
        help="serve HTTPS with a sandbox certificate for localhost, this machine and --host, "
        "made once and kept in --tls-dir; its authority's ca.pem is what clients trust",
    )
    run.add_argument(
        "--tls-dir",
        type=Path,
        help="where --tls keeps its certificate (default: DATA_DIR/tls with --data-dir, else "
        "$STANDIN_TLS_DIR, else $XDG_STATE_HOME/standin/tls)",
    )
    run.add_argument(
        "--cors",
        type=_origins,
        action="extend",
        metavar="ORIGIN",
        help="let browser pages on ORIGIN call the sandbox (CORS); repeatable or "
        "comma-separated, * for any origin (default: none)",
    )
    run.add_argument(
        "--data-dir",
        type=Path,
        default=os.environ.get("STANDIN_DATA_DIR") or None,
        help="keep tenants, tokens and every acknowledged write in this directory (SQLite) "
        "across restarts (also STANDIN_DATA_DIR; default: nothing is kept)",
    )
    run.add_argument(
        "--redis",
        metavar="URL",
        default=os.environ.get("STANDIN_REDIS_URL") or None,
        help="keep the sandbox in Redis at URL (redis://HOST:6379/0) and serve it together with "
        "every replica started with the same URL, e.g. behind a load balancer (also "
        "STANDIN_REDIS_URL; exclusive with --data-dir)",
    )
    run.add_argument(
        "--advertise-url",
        metavar="URL",
        default=os.environ.get("STANDIN_ADVERTISE_URL") or None,
        help="with --redis: where the other replicas reach this one (also "
        "STANDIN_ADVERTISE_URL; default http://HOST:PORT of --host and --port)",
    )
    run.add_argument("--cert", type=Path, help="serve HTTPS with this certificate (PEM)")
    run.add_argument("--key", type=Path, help="the private key of --cert (PEM)")
    run.set_defaults(handler=serve)

    walk = commands.add_parser("demo", help="run each reference client through its workflow")
    walk.add_argument(
        "--base-url",
        help="a running `standin serve` (every API under its prefix); default: in-process",
    )
    walk.add_argument(
        "--admin-token",
        default=os.environ.get("STANDIN_ADMIN_TOKEN") or None,
        help="the server's control-plane admin token (also STANDIN_ADMIN_TOKEN)",
    )
    walk.add_argument(
        "--api", action="append", choices=API_KEYS, help="run this API's workflow only (repeatable)"
    )
    walk.add_argument(
        "--json",
        action="store_true",
        help="print the results as JSON (the step lines and the summary go to stderr instead)",
    )
    walk.set_defaults(handler=demo)

    creds = commands.add_parser(
        "credentials", help="print the default tenant's credentials (or a running standin's)"
    )
    creds.add_argument("--json", action="store_true", help="print JSON instead of text")
    creds.add_argument("--api", choices=API_KEYS, help="this API's credentials only")
    creds.add_argument(
        "--base-url",
        help="ask a running standin (e.g. https://sandbox.example:8443) instead of printing "
        "the local defaults",
    )
    creds.add_argument(
        "--admin-token",
        default=os.environ.get("STANDIN_ADMIN_TOKEN") or None,
        help="with --base-url: the server's admin token (also STANDIN_ADMIN_TOKEN)",
    )
    creds.add_argument(
        "--tenant-token",
        default=os.environ.get("STANDIN_TENANT_TOKEN") or None,
        help="with --base-url: a tenant's token (st_...), for that tenant's credentials "
        "(also STANDIN_TENANT_TOKEN)",
    )
    creds.add_argument("--tenant", help="with --base-url and the admin token: this tenant's")
    creds.set_defaults(handler=credentials)

    check_command.add_parser(commands)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    root = parser()
    args = root.parse_args(argv)
    if args.command == "serve" and (args.cert is None) != (args.key is None):
        root.error("--cert and --key go together")
    if args.command == "serve" and args.redis is not None and args.data_dir is not None:
        root.error("--redis and --data-dir are exclusive: state is kept in Redis or in a directory")
    handler: Callable[[argparse.Namespace], int] = args.handler
    return handler(args)


if __name__ == "__main__":
    raise SystemExit(main())
