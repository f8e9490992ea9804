"""The `fusioncell` command."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from fusioncell.errors import DomainError

app = typer.Typer(
    help="fusioncell: the communication cell of a joint coordination mechanism.",
    no_args_is_help=True,
    add_completion=False,
)
log_app = typer.Typer(help="The cell's log: export, verify, rotate its key.", no_args_is_help=True)
key_app = typer.Typer(help="Member and witness keys.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens for programs and witnesses.", no_args_is_help=True)
witness_app = typer.Typer(help="Witnesses: register them, run one.", no_args_is_help=True)
app.add_typer(log_app, name="log")
app.add_typer(key_app, name="key")
app.add_typer(token_app, name="token")
app.add_typer(witness_app, name="witness")
member_app = typer.Typer(help="Members of the cell.", no_args_is_help=True)
app.add_typer(member_app, name="member")
notify_app = typer.Typer(help="Notifications: the outbox and the mail relay.", no_args_is_help=True)
app.add_typer(notify_app, name="notify")
zones_app = typer.Typer(help="De-escalation zones and lines (GeoJSON).", no_args_is_help=True)
app.add_typer(zones_app, name="zones")

# Nothing printed is wrapped: a key, a token, a path or an id broken over two lines cannot
# be copied (tables are still drawn to the terminal's width).
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

DataOpt = Annotated[
    Path,
    typer.Option("--data", envvar="FUSIONCELL_DATA", help="The cell's data directory."),
]
DEFAULT_DATA = Path("fusioncell-data")


def _fail(message: str, code: int = 2) -> None:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


@contextmanager
def _domain_errors() -> Iterator[None]:
    try:
        yield
    except DomainError as exc:
        _fail(exc.message)


def _settings(data: Path) -> Any:
    from fusioncell.settings import Settings

    return Settings.for_data(data)


def _open(data: Path) -> Any:
    from fusioncell.cell import open_cell

    return open_cell(_settings(data))


@contextmanager
def _cell(data: Path) -> Iterator[Any]:
    """The cell in `data`, closed afterwards; domain errors become a clear message."""
    with _domain_errors():
        cell = _open(data)
        try:
            yield cell
        finally:
            cell.close()


@contextmanager
def _progress(label: str) -> Iterator[Callable[[int, int], None]]:
    with Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=False,
    ) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


@app.command()
def init(
    charter: Annotated[Path, typer.Option(help="The charter (TOML).", exists=True, dir_okay=False)],
    data: DataOpt = DEFAULT_DATA,
) -> None:
    """Create a cell: keys for the log and each party's root, and entry 0 (charter.adopted)."""
    from fusioncell.cell import init_cell

    with _domain_errors():
        text = charter.read_text(encoding="utf-8")
        cell = init_cell(text, _settings(data), source=str(charter))
        out.print(f"cell created in {data}: log {cell.ledger.origin}")
        out.print(f"log key: {cell.ledger.genesis.log_key.encode()}")
        out.print(f"party root keys in {data / 'keys'}: move them to each party's custody")
        cell.close()


@app.command()
def serve(
    data: DataOpt = DEFAULT_DATA,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
) -> None:
    """Serve a cell (put TLS in front: see README)."""
    import uvicorn

    from fusioncell.app import create_app

    with _cell(data) as cell:
        out.print(f"serving {cell.ledger.origin} on http://{host}:{port}")
        # The app's lifespan starts the deadline engine (passed deadlines are acted on first).
        if not cell.settings.deadline_engine:
            out.print("deadline engine off here (FUSIONCELL_DEADLINE_ENGINE=false)")
        # One JSON object per line on stderr (docs/operations.md); uvicorn's access log
        # is off: the app logs each request itself, by route template, never the path.
        from fusioncell.ops import logs

        logs.configure(cell.settings.log_format, cell.settings.log_level)
        uvicorn.run(
            create_app(cell),
            host=host,
            port=port,
            log_level="warning",
            proxy_headers=True,
            forwarded_allow_ips=cell.settings.forwarded_allow_ips,
            log_config=None,
            access_log=False,
        )


@app.command()
def demo(
    data: DataOpt = DEFAULT_DATA,
    port: Annotated[int, typer.Option(help="Port (on 127.0.0.1 only).")] = 8000,
    serve_: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve after setting up.")
    ] = True,
) -> None:
    """Create (or reuse) the Paris demo cell, print its accounts, and serve it locally."""
    from fusioncell.demo import ensure_demo

    with _domain_errors():
        info = ensure_demo(data)
    out.print(f"[bold]Paris demo cell[/] in {data} — log {info['origin']}")
    out.print(f"Open http://127.0.0.1:{port}/ and sign in with one of these accounts.")
    out.print(
        f"TOTP is off in the demo; API tokens and device keys are in {data / 'demo'}.",
        highlight=False,
    )
    for a in info["accounts"]:
        out.print(
            f"  {a['party']:3} {a['member']:15} {a['role']:19} {a['password']}",
            highlight=False,
            soft_wrap=True,
        )
    if serve_:
        import os

        # A person watches the demo's terminal: readable lines, unless asked otherwise.
        os.environ.setdefault("FUSIONCELL_LOG_FORMAT", "text")
        serve(data=data, host="127.0.0.1", port=port)


@app.command()
def rebuild(data: DataOpt = DEFAULT_DATA) -> None:
    """Recompute every projection from the log (the log is the source of truth)."""
    from fusioncell.projections import rebuild as do_rebuild

    with _cell(data) as cell:
        with _progress("rebuild") as progress:
            n = do_rebuild(cell, progress)
        out.print(f"rebuilt every projection from {n} entries")


# ---- members ------------------------------------------------------------------------


@member_app.command("add")
def member_add(
    party: Annotated[str, typer.Option(help="The member's party.")],
    member: Annotated[str, typer.Option(help="Member id: a role name, never a person's.")],
    role: Annotated[
        str,
        typer.Option(
            help="party_admin, head_of_delegation, liaison_officer, "
            "duty_officer, supervisor or auditor."
        ),
    ],
    url: Annotated[
        str, typer.Option(help="The cell's address, for the invitation link.")
    ] = "http://127.0.0.1:8000",
    data: DataOpt = DEFAULT_DATA,
) -> None:
    """Add a member (signed into the log with the party's root key) and print a one-time
    invitation link where they choose a password."""
    from fusioncell.identity.accounts import do_add_member

    with _cell(data) as cell:
        if role == "witness":
            _fail("witnesses are added with `fusioncell witness add`")
        done, invitation = do_add_member(cell, party, member, role)
        out.print(f"{member} added to {party} as {role} (entry {done.index})")
        out.print(
            f"invitation (one use, 7 days): {url.rstrip('/')}/invite/{invitation}", highlight=False
        )


@member_app.command("list")
def member_list(
    party: Annotated[str | None, typer.Option(help="Only this party.")] = None,
    data: DataOpt = DEFAULT_DATA,
) -> None:
    """List the cell's members."""
    from rich.table import Table

    from fusioncell.identity.accounts import list_members

    with _cell(data) as cell:
        table = Table("party", "member", "role", "since entry", "status")
        for m in list_members(cell.engine, party):
            table.add_row(
                m.party,
                m.member,
                m.role.value,
                str(m.added),
                "active" if m.active else f"disabled at {m.disabled}",
            )
        out.print(table)


@member_app.command("disable")
def member_disable(member: str, data: DataOpt = DEFAULT_DATA) -> None:
    """Disable a member: signed into the log; their sessions and tokens end at once."""
    from fusioncell.identity.accounts import do_disable_member

    with _cell(data) as cell:
        done = do_disable_member(cell, member)
        out.print(f"{member} disabled (entry {done.index})")


# ---- keys -------------------------------------------------------------------------


@key_app.command("generate")
def key_generate(
    name: Annotated[str, typer.Option(help="Key name: PARTY/MEMBER/DEVICE, or a witness name.")],
    out_file: Annotated[Path, typer.Option("--out", help="Private key file (written 0600).")],
    witness: Annotated[bool, typer.Option(help="A cosigning (witness) key.")] = False,
) -> None:
    """Make a key pair on this machine; print the public (verifier) key to register."""
    from fusioncell.ledger.canonical import EncodingError
    from fusioncell.ledger.keys import ALG_COSIGNATURE_V1, ALG_ED25519, SigningKey

    if out_file.exists():
        _fail(f"{out_file} exists; refusing to overwrite a key")
    try:
        key = SigningKey.generate(name, ALG_COSIGNATURE_V1 if witness else ALG_ED25519)
    except EncodingError as exc:
        _fail(str(exc))
    key.save(out_file)
    out.print(key.verifier.encode(), highlight=False)


@key_app.command("register")
def key_register(
    party: Annotated[str, typer.Option()],
    member: Annotated[str, typer.Option()],
    vkey: Annotated[str, typer.Option(help="The verifier key printed by `key generate`.")],
    admin: Annotated[bool, typer.Option(help="May register other keys of the party.")] = False,
    data: DataOpt = DEFAULT_DATA,
) -> None:
    """Bind a member's device key in the log, signed with the party's root key."""
    from fusioncell.identity.devices import register_member_key

    with _cell(data) as cell:
        done = register_member_key(cell, party, member, vkey, admin=admin)
        out.print(f"registered as entry {done.index}")


@key_app.command("revoke")
def key_revoke(
    party: Annotated[str, typer.Option()],
    member: Annotated[str, typer.Option()],
    key_id: Annotated[str, typer.Option(help="8 hex digits.")],
    data: DataOpt = DEFAULT_DATA,
) -> None:
    """Revoke a member's key from the next entry on."""
    from fusioncell.identity.devices import revoke_member_key

    with _cell(data) as cell:
        done = revoke_member_key(cell, party, member, key_id)
        out.print(f"revoked as entry {done.index}")


@key_app.command("rotate-root")
def key_rotate_root(
    party: Annotated[str, typer.Option()],
    old_key: Annotated[
        Path, typer.Option(help="The party's root key in force (private key file).", exists=True)
    ],
    new_key: Annotated[
        Path,
        typer.Option(help="The new root key, from `key generate --name PARTY/root`.", exists=True),
    ],
    reason: Annotated[str | None, typer.Option(help="Why (kept in the log).")] = None,
    data: DataOpt = DEFAULT_DATA,
) -> None:
    """Replace a party's root key in the log, signed with the root key it retires."""
    from fusioncell.ledger.canonical import EncodingError
    from fusioncell.ledger.keys import SigningKey
    from fusioncell.rotation import rotate_root_key

    try:
        old, new = SigningKey.load(old_key), SigningKey.load(new_key)
    except (OSError, ValueError, EncodingError) as exc:
        _fail(f"cannot read a key file: {exc}")
    with _cell(data) as cell:
        done = rotate_root_key(cell, party, old, new, reason)
        out.print(
            f"{party}'s root key is {done.new.key_id_hex} from entry {done.entry.index} on; "
            f"{done.old.key_id_hex} signs nothing more",
            highlight=False,
        )


# ---- tokens -----------------------------------------------------------------------


@token_app.command("create")
def token_create(
    member: Annotated[str, typer.Argument(help="The member the token acts for.")],
    label: Annotated[str, typer.Option(help="What the token is for.")] = "",
    data: DataOpt = DEFAULT_DATA,
) -> None:
    """Create an API token for a member (with the member's role); printed once, stored hashed."""
    from fusioncell.identity.accounts import get_member
    from fusioncell.identity.tokens import create_token

    with _cell(data) as cell:
        m = get_member(cell.engine, member)
        if not m.active:
            _fail(f"member {member} is disabled")
        token_id, token = create_token(
            cell.engine, m.party, m.member, m.role, cell.clock.now(), label
        )
        err.print(f"token {token_id} for {m.member} ({m.role.value}); shown once, keep it secret:")
        out.print(token, highlight=False)


@token_app.command("revoke")
def token_revoke(token_id: str, data: DataOpt = DEFAULT_DATA) -> None:
    """Revoke an API token by its id."""
    from fusioncell.identity.tokens import revoke_token

    with _cell(data) as cell:
        revoke_token(cell.engine, token_id, cell.clock.now())
        out.print(f"token {token_id} revoked")


# ---- witnesses --------------------------------------------------------------------


@witness_app.command("add")
def witness_add(
    party: Annotated[str, typer.Option(help="The party the witness serves.")],
    vkey: Annotated[str, typer.Option(help="From `key generate --witness`.")],
    data: DataOpt = DEFAULT_DATA,
) -> None:
    """Register a party's witness key in the log and print its API token."""
    from fusioncell.identity.devices import parse_vkey, register_witness_key
    from fusioncell.identity.tokens import create_token
    from fusioncell.ledger.keys import ALG_COSIGNATURE_V1

    with _cell(data) as cell:
        name = parse_vkey(vkey, ALG_COSIGNATURE_V1).name
        done = register_witness_key(cell, party, vkey)
        _, token = create_token(cell.engine, party, name, "witness", cell.clock.now(), "witness")
        err.print(f"witness {name} registered as entry {done.index}; its token (shown once):")
        out.print(token, highlight=False)


@witness_app.command("revoke")
def witness_revoke(
    party: Annotated[str, typer.Option(help="The party the witness serves.")],
    name: Annotated[str, typer.Option(help="The witness's key name.")],
    data: DataOpt = DEFAULT_DATA,
) -> None:
    """Revoke a party's witness key in the log; its cosignatures are refused from then on."""
    from fusioncell.identity.devices import revoke_witness_key

    with _cell(data) as cell:
        done = revoke_witness_key(cell, party, name)
        out.print(f"witness {name} revoked (entry {done.index})")


@witness_app.command("run")
def witness_run(
    url: Annotated[str, typer.Option(help="The cell's base URL.")],
    token: Annotated[str, typer.Option(envvar="FUSIONCELL_TOKEN", help="The witness's token.")],
    key: Annotated[Path, typer.Option(help="The witness's private key file.", exists=True)],
    state: Annotated[Path, typer.Option(help="Where the witness keeps what it verified.")],
    log_key: Annotated[
        str | None, typer.Option(help="Pin the log's key (else learnt once).")
    ] = None,
    gossip: Annotated[Path | None, typer.Option(help="Folder shared with other witnesses.")] = None,
    interval: Annotated[float, typer.Option(help="Seconds between polls.")] = 10.0,
    once: Annotated[bool, typer.Option(help="One round, then exit.")] = False,
) -> None:
    """Follow the log, prove it consistent, cosign; alarm and exit 3 on a rewritten history."""
    import httpx

    from fusioncell.client import ClientError, LogClient, LogInconsistent
    from fusioncell.ledger.keys import SigningKey
    from fusioncell.witness import EXIT_ALARM, Witness, WitnessAlarm

    signing = SigningKey.load(key)
    client = LogClient(url, token, log_key=log_key)
    try:
        w = Witness(client, signing, state, gossip=gossip)
        w.run(interval, once=once, log=lambda m: err.print(m, highlight=False))
    except WitnessAlarm as exc:
        err.print(f"[bold red]ALARM:[/] {exc.message}", highlight=False)
        err.print(f"evidence kept in {exc.evidence}", highlight=False)
        raise typer.Exit(EXIT_ALARM) from None
    except (ClientError, LogInconsistent, httpx.HTTPError) as exc:
        _fail(str(exc), 1)


# ---- log --------------------------------------------------------------------------


@log_app.command("export")
def log_export(
    directory: Annotated[Path, typer.Argument(help="Where to write the export.")],
    as_party: Annotated[
        str | None, typer.Option("--as", help="Export as this party sees it.")
    ] = None,
    data: DataOpt = DEFAULT_DATA,
) -> None:
    """Write key.txt, checkpoint.txt and entries.jsonl (the same fields as /entries)."""
    from fusioncell.cell import check_party
    from fusioncell.ledger.export import export_log

    with _cell(data) as cell:
        if as_party is not None:
            check_party(cell, as_party)
        with _progress("export") as progress:
            size = export_log(cell.ledger, directory, as_party, progress=progress)
        out.print(
            f"exported {size} entries to {directory}" + (f" as {as_party}" if as_party else "")
        )


@log_app.command("rotate-key")
def log_rotate_key(
    reason: Annotated[str | None, typer.Option(help="Why (kept in the log).")] = None,
    data: DataOpt = DEFAULT_DATA,
) -> None:
    """Replace the log key: a new key in DATA/keys/log.key, the old one kept as
    log.key.ID.old, and a log.key.rotated entry signed by the old key."""
    from fusioncell.rotation import rotate_log_key

    with _cell(data) as cell:
        done = rotate_log_key(cell, reason)
        out.print(
            f"log key {done.old.key_id_hex} retired at entry {done.entry.index}; "
            f"in force now: {done.new.encode()}",
            highlight=False,
        )


@log_app.command("verify")
def log_verify(
    path: Annotated[
        Path,
        typer.Argument(help="An export folder, or an evidence bundle (a JSON file).", exists=True),
    ],
    workers: Annotated[int | None, typer.Option(help="Processes (default: every core).")] = None,
) -> None:
    """Check an export or an evidence bundle; exit 1 naming the first entry that fails."""
    from fusioncell.ledger.verify import VerifyError, verify_dir

    if path.is_file():
        _verify_bundle_file(path)
        return
    try:
        with _progress("verify") as progress:
            report = verify_dir(path, workers=workers, progress=progress)
    except VerifyError as exc:
        err.print(f"[bold red]FAILED[/] {exc}", highlight=False)
        raise typer.Exit(1) from None
    out.print(
        f"[bold green]OK[/] {report.origin}: {report.size} entries "
        f"({report.visible} readable, {report.hidden} hidden, all hashes checked); "
        f"cosigned by: {', '.join(report.cosigned_by) or 'no registered witness'}",
        highlight=False,
    )
    for index, key in report.log_keys[1:]:
        out.print(f"log key rotated at entry {index} to {key.key_id_hex}", highlight=False)


def _verify_bundle_file(path: Path) -> None:
    import json

    from fusioncell.ledger.bundle import verify_bundle
    from fusioncell.ledger.verify import VerifyError

    try:
        data = json.loads(path.read_bytes())
        report = verify_bundle(data)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        err.print(f"[bold red]FAILED[/] bundle: cannot read {path}: {exc}", highlight=False)
        raise typer.Exit(1) from None
    except VerifyError as exc:
        err.print(f"[bold red]FAILED[/] {exc}", highlight=False)
        raise typer.Exit(1) from None
    out.print(
        f"[bold green]OK[/] {report.origin}: evidence bundle of {report.entries} entries "
        f"({report.readable} readable) included in the checkpoint of size {report.size}; "
        f"about entries {', '.join(map(str, report.indices))}; "
        f"cosigned by: {', '.join(report.cosigned_by) or 'no registered witness'}",
        highlight=False,
    )


# ---- notifications ------------------------------------------------------------------


@notify_app.command("status")
def notify_status(data: DataOpt = DEFAULT_DATA) -> None:
    """Where the notifier is in the log, and the outbox per channel and state."""
    from rich.table import Table

    from fusioncell.db import reading
    from fusioncell.notify import outbox

    with _cell(data) as cell, reading(cell.engine) as conn:
        st = outbox.status(conn)
    done = "not started yet" if st["cursor"] is None else f"entries up to {st['cursor']} enqueued"
    out.print(f"notifier: {done}; the log's last entry: {st['log_last']}")
    table = Table("channel", "pending", "sent", "failed")
    for channel, counts in sorted(st["outbox"].items()):
        table.add_row(channel, *(str(counts.get(k, 0)) for k in ("pending", "sent", "failed")))
    out.print(table)
    if st["next_due"]:
        out.print(f"next attempt due at {st['next_due']}")


@notify_app.command("run")
def notify_run(data: DataOpt = DEFAULT_DATA) -> None:
    """Run the notifier in this process, until interrupted (Ctrl-C or SIGTERM).

    Serve with FUSIONCELL_NOTIFY_WORKER=false and run this beside it: the notifier then has
    a core of its own instead of sharing the server's GIL with the append path and the
    live stream (docs/performance.md). One notifier acts at a time (a database lock)."""
    import signal
    import threading

    from fusioncell.notify.worker import Notifier

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with _cell(data) as cell:
        notifier = Notifier(cell)
        notifier.start()
        out.print(f"notifier running for {cell.ledger.origin}; Ctrl-C stops it")
        try:
            while not stop.wait(1.0):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            notifier.stop()
    out.print("notifier stopped")


@notify_app.command("retry")
def notify_retry(
    delivery: Annotated[int | None, typer.Option("--id", help="One delivery (its id).")] = None,
    party: Annotated[str | None, typer.Option(help="Only this party's.")] = None,
    data: DataOpt = DEFAULT_DATA,
) -> None:
    """Put failed deliveries back in the queue, due now, with a fresh set of attempts."""
    from fusioncell.cell import check_party
    from fusioncell.notify import outbox

    with _cell(data) as cell:
        if party is not None:
            check_party(cell, party)
        n = outbox.retry(cell, row_id=delivery, party=party)
        out.print(f"{n} failed deliveries queued again")


@notify_app.command("test-mail")
def notify_test_mail(
    to: Annotated[str, typer.Argument(help="The address to send a test message to.")],
    data: DataOpt = DEFAULT_DATA,
) -> None:
    """Send one message through the configured SMTP relay, to check its settings."""
    import secrets

    from fusioncell.notify import mail
    from fusioncell.notify.prefs import check_email

    with _cell(data) as cell:
        address = check_email(to)
        if address is None or not cell.settings.smtp_host:
            _fail("give an address, and configure smtp_host (FUSIONCELL_SMTP_HOST)")
        msg = mail.build(
            cell.settings,
            origin=cell.ledger.origin,
            delivery="test-" + secrets.token_hex(8),
            to=str(address),
            lang="en",
            subject=f"fusioncell: a test message from {cell.ledger.origin}",
            text="The cell's notifications can reach this address.\n",
            clock=cell.clock,
        )
        try:
            mail.send(cell.settings, msg)
        except Exception as exc:  # noqa: BLE001 - whatever the relay said, say it
            _fail(f"the relay did not take it: {type(exc).__name__}: {exc}", 1)
        out.print(f"sent to {address} through {cell.settings.smtp_host}")


@zones_app.command("load")
def zones_load(
    file: Annotated[Path, typer.Argument(help="A GeoJSON FeatureCollection.", exists=True)],
    status: Annotated[str, typer.Option(help="agreed, proposed or illustrative.")],
    party: Annotated[str | None, typer.Option(help="The proposing party (proposed).")] = None,
    data: DataOpt = DEFAULT_DATA,
) -> None:
    """Load zones and lines into the log (one signed system entry per feature; each
    feature's properties give its id and name). A bad feature writes nothing."""
    import json

    from fusioncell.deesc.zones import load

    try:
        doc = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        _fail(f"{file}: not a readable JSON file ({exc})")
    with _cell(data) as cell:
        done = load(cell, doc, status, party)
        out.print(f"{len(done)} zone(s) loaded as {status} (entries {', '.join(map(str, done))})")


# ---- backup and restore (docs/backup.md) ---------------------------------------------

backup_app = typer.Typer(
    help="Back up a live cell (`backup --out FILE`), or check an archive (`backup check FILE`).",
)
app.add_typer(backup_app, name="backup")

_PHASES = {
    "tables": "tables",
    "check": "check hashes",
    "load": "load rows",
    "log": "tree, checkpoints",
    "verify": "verify log",
    "rebuild": "rebuild",
}


@contextmanager
def _phases() -> Iterator[Callable[[str, int, int], None]]:
    """A progress bar per phase of a long task, each added when its phase begins."""
    with Progress(
        TextColumn("{task.description:<17}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=False,
    ) as bar:
        tasks: dict[str, Any] = {}

        def update(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(_PHASES.get(phase, phase), total=total)
            bar.update(tasks[phase], completed=done, total=total)

        yield update


@backup_app.callback(invoke_without_command=True)
def backup(
    ctx: typer.Context,
    out_file: Annotated[
        Path | None, typer.Option("--out", help="The archive to write (mode 0600).")
    ] = None,
    data: DataOpt = DEFAULT_DATA,
) -> None:
    """Write one consistent archive of a cell, live or not: every table in one database
    snapshot, and the data directory's files. It holds the log's private key: mode 0600."""
    if ctx.invoked_subcommand is not None:
        return
    if out_file is None:
        _fail("give --out FILE: where to write the archive")
        return
    from fusioncell.backup import take_backup

    try:
        with _domain_errors(), _phases() as progress:
            report = take_backup(_settings(data), out_file, progress=progress)
    except OSError as exc:  # the archive's folder: missing rights, a full disk
        _fail(f"cannot write {out_file}: {exc}")
        return
    out.print(
        f"backed up {report.origin} ({report.dialect}, schema {report.revision}): "
        f"log size {report.size}, root {report.root}; {sum(report.rows.values())} rows in "
        f"{len(report.rows)} tables, {len(report.files)} files -> {report.out} (mode 0600)",
        highlight=False,
        soft_wrap=True,
    )
    for path in report.skipped:
        err.print(f"skipped {path}: not a regular file", highlight=False)


@backup_app.command("check")
def backup_check(
    file: Annotated[Path, typer.Argument(help="The archive.")],
    workers: Annotated[int | None, typer.Option(help="Processes (default: every core).")] = None,
) -> None:
    """Check an archive without restoring it: every hash, then everything a restore checks,
    into a throw-away SQLite database. Exit 1 if it would not restore."""
    from fusioncell.backup import check_backup

    try:
        with _phases() as progress:
            report = check_backup(file, workers=workers, progress=progress)
    except DomainError as exc:
        err.print(f"[bold red]FAILED[/] {exc.message}", highlight=False)
        raise typer.Exit(1) from None
    out.print(
        f"[bold green]OK[/] {report.origin}: log size {report.size}, root {report.root} "
        f"(from {report.source_dialect}); {_verified(report)}",
        highlight=False,
        soft_wrap=True,
    )


def _verified(report: Any) -> str:
    return (
        f"{sum(report.rows.values())} rows in {len(report.rows)} tables, "
        f"{len(report.files)} files; the log verifies from entry 0 ({report.visible} "
        f"signed entries), with its {report.nodes} tree nodes, {report.checkpoints} "
        f"checkpoints and {report.cosignatures} cosignatures; {report.projections} "
        f"projections equal a rebuild from the log; cosigned at the head by: "
        f"{', '.join(report.cosigned_by) or 'no witness'}"
    )


@app.command()
def restore(
    file: Annotated[Path, typer.Argument(help="The archive (from `fusioncell backup`).")],
    data: DataOpt = DEFAULT_DATA,
    workers: Annotated[int | None, typer.Option(help="Processes (default: every core).")] = None,
) -> None:
    """Restore an archive into an empty data directory and an empty database (the one
    `serve --data DATA` will use: FUSIONCELL_DATABASE_URL, else the archive's settings,
    else SQLite in DATA). It commits only once the log and the projections verify."""
    from fusioncell.backup import VerificationFailed
    from fusioncell.backup import restore as do_restore

    try:
        with _phases() as progress:
            report = do_restore(file, data, workers=workers, progress=progress)
    except VerificationFailed as exc:
        err.print(f"[bold red]FAILED[/] {exc.message}; nothing was restored", highlight=False)
        raise typer.Exit(1) from None
    except DomainError as exc:  # a damaged archive, a target not empty: exit 2
        _fail(exc.message)
        return
    except OSError as exc:  # the data directory: missing rights, a full disk
        _fail(f"restore failed, nothing was kept: {exc}")
        return
    out.print(
        f"restored {report.origin} (from {report.source_dialect}) into {report.data} and "
        f"{report.database}: log size {report.size}, root {report.root}, as the manifest "
        "says",
        highlight=False,
        soft_wrap=True,
    )
    out.print(f"[bold green]verified[/]: {_verified(report)}", highlight=False)
    out.print(
        f"Witnesses that cosigned a size beyond {report.size} will raise a ROLLBACK alarm: "
        "the entries after the backup are lost (docs/backup.md).",
        highlight=False,
        soft_wrap=True,
    )


def main() -> None:
    app(prog_name="fusioncell")


if __name__ == "__main__":
    main()
