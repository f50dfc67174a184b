"""`wxpub sandbox`: run the local stand-in for WeChat in the foreground until Ctrl-C."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ..errors import ConfigError, UsageError
from ..i18n import _
from ..signals import stop_on_signals, wait_for
from ..wechat.sandbox import FAULT_KINDS, SANDBOX_APPID, SANDBOX_SECRET, Fault, Sandbox, SandboxConfig


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "sandbox",
        help=_("run a local stand-in for the WeChat API (for the demo and for trying the pipeline)"),
        description=_(
            "Serve a faithful local WeChat API on 127.0.0.1 until Ctrl-C. Point WECHAT_API_BASE at it. "
            "Its AppID and secret are sandbox test values, not real credentials. Ctrl-C (or SIGTERM) stops it, exit 0."
        ),
    )
    p.add_argument("--port", type=int, default=8900, help=_("port to listen on (default: 8900; 0 picks a free one)"))
    p.add_argument("--host", default="127.0.0.1", help=_("address to bind (default: 127.0.0.1)"))
    p.add_argument(
        "--appid",
        default=SANDBOX_APPID,
        help=_("the AppID the sandbox accepts (default: {appid})", appid=SANDBOX_APPID),
    )
    p.add_argument(
        "--secret-env",
        metavar="VAR",
        help=_("take the sandbox's secret from this environment variable instead of its built-in test value"),
    )
    p.add_argument(
        "--token-ttl", type=float, default=7200.0, help=_("access-token lifetime in seconds (default: 7200)")
    )
    p.add_argument("--publish-delay", type=float, default=2.0, help=_("seconds a publish job takes (default: 2)"))
    p.add_argument("--state-file", metavar="FILE", help=_("keep the sandbox's state in FILE across restarts"))
    p.add_argument("--whitelist-error", action="store_true", help=_("answer 40164 (IP not whitelisted) to token calls"))
    p.add_argument("--unverified", action="store_true", help=_("answer 48001 to publish and broadcast calls"))
    p.add_argument(
        "--publish-outcome",
        type=int,
        choices=(0, 2, 3, 4),
        default=0,
        help=_("final status of publish jobs: 0 published (default), 2 originality, 3 failed, 4 rejected"),
    )
    p.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="PATH=KIND[:N]",
        help=_(
            "inject a fault on the first N calls (default 1) to PATH (or *); KIND: {kinds}; "
            "e.g. --fault /cgi-bin/draft/add=crash_after",
            kinds=", ".join(FAULT_KINDS),
        ),
    )
    p.add_argument("--quiet", action="store_true", help=_("do not print one line per call"))
    p.set_defaults(func=run)


def parse_fault(spec: str) -> Fault:
    """`PATH=KIND[:N]` -> Fault(PATH, KIND, first=N); `delay` takes seconds: `PATH=delay:2.5`."""
    path, sep, rest = spec.partition("=")
    kind, _colon, count = rest.partition(":")
    if not sep or not path or kind not in FAULT_KINDS:
        raise UsageError(
            _(
                "--fault {spec}: expected PATH=KIND[:N] with KIND one of {kinds}",
                spec=repr(spec),
                kinds=", ".join(FAULT_KINDS),
            )
        )
    try:
        if kind == "delay":
            return Fault(path, kind, first=10**9, delay=float(count or 1))
        return Fault(path, kind, first=int(count or 1))
    except ValueError:
        raise UsageError(_("--fault {spec}: {count} is not a number", spec=repr(spec), count=repr(count))) from None


def run(args: argparse.Namespace) -> int:
    if not 0 <= args.port <= 65535:
        raise UsageError(_("--port {port}: expected 0-65535", port=args.port))
    if args.secret_env:
        secret = os.environ.get(args.secret_env, "")
        if not secret:
            raise ConfigError(
                _("--secret-env {name}: that variable is not set", name=args.secret_env), hint=_("export it first")
            )
    else:
        secret = SANDBOX_SECRET

    def log(line: str) -> None:
        print(f"  {line}", flush=True)

    config = SandboxConfig(
        appid=args.appid,
        secret=secret,
        host=args.host,
        port=args.port,
        token_ttl=args.token_ttl,
        publish_delay=args.publish_delay,
        whitelist_error=args.whitelist_error,
        publish_outcome=args.publish_outcome,
        faults=[parse_fault(spec) for spec in args.fault],
        verified=not args.unverified,
        state_file=Path(args.state_file) if args.state_file else None,
        log=None if args.quiet else log,
    )
    sandbox = Sandbox(config)
    # Ctrl-C is how the sandbox stops: the handlers are in place before it starts, so a signal at any
    # moment (even right after the banner, or twice) ends in a clean stop and exit 0 (pipeline.signals).
    with stop_on_signals() as stop:
        try:
            base = sandbox.start()
        except OSError as exc:
            raise ConfigError(
                _(
                    "cannot listen on {address}: {reason}",
                    address=args.host + ":" + str(args.port),
                    reason=exc.strerror,
                ),
                hint=_("try --port 0"),
            ) from None
        try:
            secret_line = (
                f'export WECHAT_SECRET="${args.secret_env}"   # '
                + _("the sandbox reads it from {variable}", variable="$" + args.secret_env)
                if args.secret_env
                else f"export WECHAT_SECRET={SANDBOX_SECRET}   # " + _("sandbox-only test value, not a real secret")
            )
            print(
                _("WeChat sandbox listening on {base}  (a local stand-in: nothing reaches WeChat)", base=base),
                flush=True,
            )
            print(_("Use it with:"))
            print(f"  export WECHAT_API_BASE={base}")
            print(f"  export WECHAT_APPID={args.appid}")
            print(f"  {secret_line}")
            print(_("Published articles: {base}/   Press Ctrl-C to stop.", base=base), flush=True)
            wait_for(stop)
        finally:
            sandbox.stop()
    print(_("sandbox stopped"), file=sys.stderr)
    return 0
