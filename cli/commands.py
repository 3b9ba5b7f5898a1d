"""The commands: every route of the API (api/openapi.yaml), named as staff say it. Each sends one request (`usage
--all` one a page), prints the answer as a table or, with --json, as the API wrote it, and exits with what the
answer means (cli/client.py, ExitCode)."""

from __future__ import annotations

import json
import os
import traceback
import uuid
from collections.abc import Callable, Mapping
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from typer._click.exceptions import ClickException
from typer.core import TyperGroup

from cli import render
from cli.client import EXIT_CODE_MEANINGS, Answer, Client, ExitCode, Fault, endpoint_problem, route_path
from cli.target import Target, resolve

# The API's routes, as api/openapi.yaml names them.
PLAN = "/orgs/{orgId}/plan"
USER_LIMIT = "/orgs/{orgId}/user-limit"
USAGE = "/orgs/{orgId}/usage"
CHARGE = "/orgs/{orgId}/usage/{enquiryId}"
TOP_UPS = "/orgs/{orgId}/top-ups"
REFUNDS = "/orgs/{orgId}/refunds"
BALANCE = "/orgs/{orgId}/balance"
AUDIT = "/orgs/{orgId}/audit"

NO_CAP = "none"
"""`credits user-limit set ORG none`: the org's users have no monthly cap of their own."""


def _examples(*lines: str) -> str:
    return "Examples:\n\n" + "\n".join(f"  {line}" for line in lines)


DEBUG_VARIABLE = "CREDITS_DEBUG"
"""CREDITS_DEBUG=1: a defect in the command prints its traceback too."""


class _Guarded(TyperGroup):
    """The command tree's one edge: what no command turned into an exit code (a defect) is one line on stderr and
    exit FAULT, never a traceback unless CREDITS_DEBUG=1 asks for it."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (ClickException, typer.Exit, typer.Abort):
            raise
        except Fault as fault:
            _stderr(f"{fault.code}: {fault.message}")
            raise typer.Exit(int(ExitCode.FAULT)) from None
        except Exception as defect:  # noqa: BLE001 (the last resort: whatever it is, one line and exit 5)
            if os.environ.get(DEBUG_VARIABLE) == "1":
                _stderr(traceback.format_exc().rstrip())
            _stderr(f"INTERNAL: {type(defect).__name__}: {defect}; run with {DEBUG_VARIABLE}=1 for the traceback")
            raise typer.Exit(int(ExitCode.FAULT)) from None


_EXIT_CODES = "Exit codes:\n\n" + "\n".join(
    f"  {code.value}  {meaning}" for code, meaning in EXIT_CODE_MEANINGS.items()
)

app = typer.Typer(
    name="credits",
    help="The credit service's API for staff and developers: plans, per-user limits, top-ups, refunds, balances, "
    "the ledger and its audit, and using a credit. Requests are signed with SigV4 from your AWS credentials.",
    epilog="\n\n".join(
        [
            _examples(
                "credits balance acme",
                "credits --env dev top-up acme 50 --reason uplift --id zendesk-4711",
                "credits --profile staff --stack xapien-credits usage acme --all",
                "credits --endpoint http://127.0.0.1:3000 plan set acme Basic",
            ),
            "The API: --endpoint, else CREDITS_ENDPOINT, else the ApiUrl output of the stack samconfig.toml names "
            "for --env, or of --stack.",
            _EXIT_CODES,
            "Errors go to stderr as CODE: message (requestId ...). Each command's --help has examples; docs/cli.md "
            "has the rest.",
        ]
    ),
    cls=_Guarded,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
plan_app = typer.Typer(help="An org's plan.", no_args_is_help=True)
user_limit_app = typer.Typer(help="What each user of an org may use a month.", no_args_is_help=True)
STAFF, READS, DEVELOPERS = "Change an org (staff)", "Read an org", "For developers"
app.add_typer(plan_app, name="plan", rich_help_panel=STAFF)
app.add_typer(user_limit_app, name="user-limit", rich_help_panel=STAFF)

Org = Annotated[str, typer.Argument(metavar="ORG", help="The org's id.", show_default=False)]
Enquiry = Annotated[str, typer.Argument(metavar="ENQUIRY", help="The enquiry's id.", show_default=False)]
Period = Annotated[
    str | None,
    typer.Option("--period", metavar="YYYY-MM", help="A month (UTC); default: the current one.", show_default=False),
]
AsJson = Annotated[
    bool,
    typer.Option("--json", help="Print the API's JSON answer unchanged (an error's too), instead of a table."),
]
Retry = Annotated[
    int,
    typer.Option(
        "--retry",
        min=0,
        metavar="N",
        help="Ask again up to N times while the answer says to (429, 503, 504, Retry-After), after the seconds "
        "its Retry-After says.",
    ),
]


def _endpoint(value: str | None) -> str | None:
    """--endpoint (or CREDITS_ENDPOINT) as given, when it is an http(s) URL: else a usage error, nothing sent."""
    problem = None if value is None else endpoint_problem(value)
    if problem:
        raise typer.BadParameter(problem)
    return value


@app.callback()
def connect(
    ctx: typer.Context,
    endpoint: Annotated[
        str | None,
        typer.Option(
            "--endpoint",
            envvar="CREDITS_ENDPOINT",
            callback=_endpoint,
            metavar="URL",
            help="The API's URL (a stage's), e.g. the local emulator http://127.0.0.1:3000. Default: the stack's "
            "ApiUrl output.",
            show_default=False,
        ),
    ] = None,
    stack: Annotated[
        str | None,
        typer.Option(
            "--stack",
            metavar="NAME",
            help="The CloudFormation stack whose ApiUrl to call. Default: samconfig.toml's stack_name for --env.",
            show_default=False,
        ),
    ] = None,
    env: Annotated[
        str, typer.Option("--env", metavar="ENV", help="samconfig.toml's environment: default, dev, prod.")
    ] = "default",
    profile: Annotated[
        str | None,
        typer.Option(
            "--profile",
            metavar="NAME",
            help="The AWS profile to sign with (keys, SSO, a role). Default: AWS_PROFILE, else the usual chain.",
            show_default=False,
        ),
    ] = None,
    region: Annotated[
        str | None,
        typer.Option(
            "--region",
            metavar="REGION",
            help="The API's region, to sign for and to find the stack in. Default: the one in an execute-api "
            "endpoint's host, else samconfig.toml's deploy region for --env, else the profile's or AWS_DEFAULT_REGION.",
            show_default=False,
        ),
    ] = None,
    sign: Annotated[
        bool | None,
        typer.Option(
            "--sign/--no-sign",
            help="Sign with SigV4 for execute-api. Default: when AWS credentials are found. --sign: fail without "
            "them; --no-sign: a sandbox stack (ApiAuth=NONE) or the emulator's make run.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Which API, and as whom (every command's options come after its name)."""
    ctx.obj = Target(endpoint, stack, env, profile, region, sign)


# -- running a command ----------------------------------------------------------------------------------------


def _stderr(line: str) -> None:
    typer.echo(line, err=True)


def _client(ctx: typer.Context, retries: int) -> Client:
    target = ctx.find_object(Target) or Target()
    resolved = resolve(target, notice=_stderr)
    return Client(resolved.endpoint, resolved.signer, retries, resolved.http, notice=_stderr)


def _finish(answer: Answer, as_json: bool, show: Callable[[Console, Any], None]) -> NoReturn:
    """Print the answer (the table, or the API's JSON), its error on stderr, and exit with what it means."""
    if answer.not_json:
        _exit(answer)
    if as_json:
        typer.echo(answer.text, nl=not answer.text.endswith("\n"))
    elif answer.result is not None:
        _show(show, answer.result)
    _exit(answer)


def _exit(answer: Answer) -> NoReturn:
    """Exit with what the answer means, its error on stderr: a success that is not a JSON document is a fault."""
    if answer.not_json:
        _stderr(f"NOT_JSON: the API answered {answer.status} with {answer.text[:200]!r}")
        raise typer.Exit(int(ExitCode.FAULT))
    if answer.exit_code is not ExitCode.OK:
        _stderr(answer.error_line())
    raise typer.Exit(int(answer.exit_code))


def _show(show: Callable[[Console, Any], None], document: Any) -> None:
    """The table, printed whole once it is drawn; an answer of a shape it cannot draw is a fault (--json shows it)."""
    out = render.console()
    try:
        with out.capture() as drawn:
            show(out, document)
    except (AttributeError, TypeError, ValueError, KeyError) as unexpected:
        raise Fault(
            "UNEXPECTED_ANSWER",
            f"the API answered a document this command cannot show ({unexpected}); --json prints it",
        ) from unexpected
    typer.echo(drawn.get(), nl=False)


def _run(
    ctx: typer.Context,
    retries: int,
    as_json: bool,
    show: Callable[[Console, Any], None],
    method: str,
    path: str,
    query: Mapping[str, str | int | None] | None = None,
    body: Mapping[str, Any] | None = None,
) -> NoReturn:
    answer = _client(ctx, retries).call(method, path, query, body)
    _finish(answer, as_json, show)


# -- writes ---------------------------------------------------------------------------------------------------


@plan_app.command("set", epilog=_examples("credits plan set acme Basic", "credits plan set acme Trial --json"))
def plan_set(
    ctx: typer.Context,
    org: Org,
    plan: Annotated[str, typer.Argument(metavar="PLAN", help="Ultimate, Enterprise, Basic, Lite or Trial.")],
    as_json: AsJson = False,
    retry: Retry = 0,
) -> None:
    """Put an org on a plan (PUT /orgs/{orgId}/plan). Prints the org's balance."""
    _run(ctx, retry, as_json, render.balance, "PUT", route_path(PLAN, orgId=org), body={"plan": plan})


@user_limit_app.command(
    "set", epilog=_examples("credits user-limit set acme 25", f"credits user-limit set acme {NO_CAP}")
)
def user_limit_set(
    ctx: typer.Context,
    org: Org,
    limit: Annotated[
        str,
        typer.Argument(metavar="LIMIT", help=f"Credits each user may use a month, or {NO_CAP} to remove the cap."),
    ],
    as_json: AsJson = False,
    retry: Retry = 0,
) -> None:
    """Cap what each user of an org may use a month (PUT /orgs/{orgId}/user-limit). Prints the org's balance."""
    cap: int | None = None
    if limit.lower() != NO_CAP:
        try:
            cap = int(limit)
        except ValueError:
            raise typer.BadParameter(f"{limit!r} is neither a whole number nor {NO_CAP}", param_hint="LIMIT") from None
    _run(ctx, retry, as_json, render.balance, "PUT", route_path(USER_LIMIT, orgId=org), body={"limit": cap})


@app.command(
    "top-up",
    rich_help_panel=STAFF,
    epilog=_examples(
        'credits top-up acme 50 --reason "uplift agreed with finance"',
        "credits top-up acme 50 --reason uplift --id zendesk-4711",
    ),
)
def top_up(
    ctx: typer.Context,
    org: Org,
    credits: Annotated[int, typer.Argument(metavar="CREDITS", help="Credits to add to the current month.")],
    reason: Annotated[
        str,
        typer.Option(
            "--reason", metavar="TEXT", help="Why: kept with the top-up (credits top-ups).", show_default=False
        ),
    ],
    top_up_id: Annotated[
        str | None,
        typer.Option(
            "--id",
            metavar="ID",
            help="The top-up's id, e.g. the ticket's: the same id again adds nothing. Default: one made up "
            "(cli-...), so that --retry adds the credits once.",
            show_default=False,
        ),
    ] = None,
    as_json: AsJson = False,
    retry: Retry = 0,
) -> None:
    """Add credits to an org's current month (POST /orgs/{orgId}/top-ups). Prints the org's balance."""
    made_up = top_up_id is None
    body = {"credits": credits, "reason": reason, "topUpId": top_up_id or f"cli-{uuid.uuid4().hex}"}
    succeeded = False
    try:
        _run(ctx, retry, as_json, render.top_up, "POST", route_path(TOP_UPS, orgId=org), body=body)
    except typer.Exit as ended:
        succeeded = ended.exit_code == ExitCode.OK
        raise
    finally:
        if made_up and not succeeded:
            # A 504, or no answer, may have added it: only the same id again is sure to add nothing.
            _stderr(f"topUpId {body['topUpId']}: re-run with --id {body['topUpId']} to add it at most once")


@app.command(
    "refund",
    rich_help_panel=STAFF,
    epilog=_examples("credits refund acme enq-1", 'credits refund acme enq-1 --reason "report failed to deliver"'),
)
def refund(
    ctx: typer.Context,
    org: Org,
    enquiry: Enquiry,
    reason: Annotated[
        str | None, typer.Option("--reason", metavar="TEXT", help="Why, kept with the refund.", show_default=False)
    ] = None,
    as_json: AsJson = False,
    retry: Retry = 0,
) -> None:
    """Give back a charged enquiry's credit, the org's and its user's (POST /orgs/{orgId}/refunds).

    The same refund again gives nothing back (a replay, exit 0). Prints the org's balance."""
    body = {"enquiryId": enquiry} | ({} if reason is None else {"reason": reason})
    _run(ctx, retry, as_json, render.refund, "POST", route_path(REFUNDS, orgId=org), body=body)


# -- reads ----------------------------------------------------------------------------------------------------


@app.command(
    "balance",
    rich_help_panel=READS,
    epilog=_examples("credits balance acme", "credits balance acme --user alice --json"),
)
def balance(
    ctx: typer.Context,
    org: Org,
    user: Annotated[
        str | None,
        typer.Option("--user", metavar="USER", help="Also what this user used this month.", show_default=False),
    ] = None,
    as_json: AsJson = False,
    retry: Retry = 0,
) -> None:
    """An org's balance this month (GET /orgs/{orgId}/balance)."""
    _run(ctx, retry, as_json, render.balance, "GET", route_path(BALANCE, orgId=org), {"userId": user})


@app.command(
    "usage",
    rich_help_panel=READS,
    epilog=_examples(
        "credits usage acme",
        "credits usage acme --period 2026-12 --user alice --limit 100",
        "credits usage acme --all --json",
    ),
)
def usage(
    ctx: typer.Context,
    org: Org,
    period: Annotated[
        str | None,
        typer.Option(
            "--period",
            metavar="PERIOD",
            help="A month, YYYY-MM (UTC), or TRIAL for a trial's charges; default: the current month.",
            show_default=False,
        ),
    ] = None,
    user: Annotated[
        str | None, typer.Option("--user", metavar="USER", help="Only this user's charges.", show_default=False)
    ] = None,
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit", metavar="N", help="Entries a page, 1 to 100 (the API's default: 50).", show_default=False
        ),
    ] = None,
    cursor: Annotated[
        str | None,
        typer.Option("--cursor", metavar="CURSOR", help="The page after the one that answered it.", show_default=False),
    ] = None,
    all_pages: Annotated[
        bool,
        typer.Option(
            "--all",
            help="Follow the cursor to the last page. With --json: one JSON document, the first page's with every "
            "page's items and a null cursor.",
        ),
    ] = False,
    as_json: AsJson = False,
    retry: Retry = 0,
) -> None:
    """The ledger: an org's charges in a month, newest first, a page at a time (GET /orgs/{orgId}/usage)."""
    path = route_path(USAGE, orgId=org)
    query: dict[str, str | int | None] = {"period": period, "userId": user, "limit": limit, "cursor": cursor}
    if not all_pages:
        _run(ctx, retry, as_json, render.ledger, "GET", path, query)
    client = _client(ctx, retry)
    answer = client.call("GET", path, query)
    first = answer.result
    if first is None:
        _finish(answer, as_json, render.ledger)
    items, stopped, resume = _pages(client, path, query, first)
    # What was read is printed even when a later page failed: with the cursor of the page that did, to go on from.
    whole = dict(first, items=items, cursor=resume)
    if as_json:
        typer.echo(json.dumps(whole))
    else:
        _show(render.ledger, whole)
    if isinstance(stopped, Fault):
        raise stopped
    if stopped is not None:
        _exit(stopped)


def _pages(
    client: Client, path: str, query: dict[str, str | int | None], page: Mapping[str, Any]
) -> tuple[list[Any], Answer | Fault | None, str | None]:
    """The items of `page` and of every page after it, following the cursor; what stopped it before the last page
    (an answer that is not a page, a fault), and the cursor that page was asked with."""
    items: list[Any] = []
    followed = {query["cursor"]} if query.get("cursor") else set()
    while True:
        listed = page.get("items") or []
        if not isinstance(listed, list):
            return items, Fault("UNEXPECTED_ANSWER", f"a page's items are not a list: {listed!r:.200}"), None
        items += listed
        cursor = page.get("cursor")
        if not cursor:
            return items, None, None
        if cursor in followed:
            # An API that answers a cursor it answered before would be followed round forever.
            loop = Fault("CURSOR_LOOP", f"the API answered the cursor {cursor!r} a second time: stopped there")
            return items, loop, None
        followed.add(cursor)
        try:
            answer = client.call("GET", path, query | {"cursor": cursor})
        except Fault as fault:
            return items, fault, str(cursor)
        if answer.result is None:
            return items, answer, str(cursor)
        page = answer.result


@app.command(
    "charge", rich_help_panel=READS, epilog=_examples("credits charge acme enq-1", "credits charge acme enq-1 --json")
)
def charge(ctx: typer.Context, org: Org, enquiry: Enquiry, as_json: AsJson = False, retry: Retry = 0) -> None:
    """One enquiry's charge (GET /orgs/{orgId}/usage/{enquiryId}).

    Who, when, refunded or not, and the execution that charged it."""
    _run(ctx, retry, as_json, render.entry, "GET", route_path(CHARGE, orgId=org, enquiryId=enquiry))


@app.command(
    "top-ups", rich_help_panel=READS, epilog=_examples("credits top-ups acme", "credits top-ups acme --period 2026-12")
)
def top_ups(ctx: typer.Context, org: Org, period: Period = None, as_json: AsJson = False, retry: Retry = 0) -> None:
    """An org's top-ups in a month, newest first (GET /orgs/{orgId}/top-ups)."""
    _run(ctx, retry, as_json, render.top_ups, "GET", route_path(TOP_UPS, orgId=org), {"period": period})


@app.command(
    "audit", rich_help_panel=READS, epilog=_examples("credits audit acme", "credits audit acme --period 2026-12 --json")
)
def audit(ctx: typer.Context, org: Org, period: Period = None, as_json: AsJson = False, retry: Retry = 0) -> None:
    """An org's books for a month (GET /orgs/{orgId}/audit).

    Its counters beside what its ledger adds up to, and any drift between them."""
    _run(ctx, retry, as_json, render.audit, "GET", route_path(AUDIT, orgId=org), {"period": period})


# -- for developers ---------------------------------------------------------------------------------------------


@app.command(
    "use",
    rich_help_panel=DEVELOPERS,
    epilog=_examples("credits use acme enq-1 --user alice", "credits use acme enq-1 --user alice --retry 3 --json"),
)
def use(
    ctx: typer.Context,
    org: Org,
    enquiry: Enquiry,
    user: Annotated[
        str, typer.Option("--user", metavar="USER", help="The user who runs the enquiry.", show_default=False)
    ],
    as_json: AsJson = False,
    retry: Retry = 0,
) -> None:
    """Use one report credit for an enquiry (POST /orgs/{orgId}/usage).

    For developers: the report runner's call. The same enquiry again charges nothing (a replay, exit 0)."""
    body = {"enquiryId": enquiry, "userId": user}
    _run(ctx, retry, as_json, render.charge, "POST", route_path(USAGE, orgId=org), body=body)
