"""The architecture rules of DESIGN §6, checked so they stay true."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from .conftest import PROJECT

CORE = sorted((PROJECT / "ocf").rglob("*.py"))
UI = [
    PROJECT / "streamlit_app.py",
    PROJECT / "app_router.py",
    *sorted((PROJECT / "app_pages").glob("*.py")),
]
SQL = re.compile(
    r"\b(SELECT\s.+\sFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+(TABLE|INDEX|TRIGGER)|PRAGMA)\b",
    re.S,
)
SQL_HOMES = {"store", "migrations.py"}  # the ocf/store package, and the migrations


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def string_literals(path: Path) -> list[str]:
    return [
        n.value
        for n in ast.walk(ast.parse(path.read_text()))
        if isinstance(n, ast.Constant) and isinstance(n.value, str)
    ]


def test_core_never_imports_streamlit() -> None:
    offenders = [p.name for p in CORE if "streamlit" in imported_modules(p)]
    assert offenders == []


def test_sql_lives_only_in_store_and_migrations() -> None:
    offenders = [
        f"{p.relative_to(PROJECT)}: {text[:60]!r}"
        for p in [*CORE, *UI]
        if not ((p.name in SQL_HOMES and p.parent.name == "ocf") or p.parent.name in SQL_HOMES)
        for text in string_literals(p)
        if SQL.search(text)
    ]
    assert offenders == []


def test_the_sql_check_would_catch_sql() -> None:
    """Guard against a check that cannot fail."""
    assert SQL.search("SELECT value FROM meta WHERE key = ?")
    assert SQL.search("insert into sites values (1)".upper())
    assert not SQL.search("Select the level that fits best")


def test_no_utils_grab_bag() -> None:
    assert not (PROJECT / "ocf" / "utils.py").exists()


def test_pages_are_thin() -> None:
    """Pages use ocf through its modules; they do no scoring or statistics themselves."""
    for page in UI:
        assert not {"numpy", "scipy", "sqlite3", "sqlite_utils"} & imported_modules(page), page.name


SPREADSHEET_WRITERS = re.compile(r"\.(to_csv|to_excel)\(|ExcelWriter\(")


def spreadsheet_writers(path: Path) -> list[str]:
    return [
        line.strip() for line in path.read_text().splitlines() if SPREADSHEET_WRITERS.search(line)
    ]


def test_every_csv_and_xlsx_is_written_by_ocf_spreadsheet() -> None:
    """One place neutralises formula-looking cells (docs/security.md); nothing writes around it."""
    offenders = [
        f"{p.relative_to(PROJECT)}: {line}"
        for p in [*CORE, *UI]
        if p.name != "spreadsheet.py"
        for line in spreadsheet_writers(p)
    ]
    assert offenders == []


def test_the_spreadsheet_check_would_catch_a_writer() -> None:
    assert SPREADSHEET_WRITERS.search("table.to_csv(path, index=False)")
    assert SPREADSHEET_WRITERS.search("with pd.ExcelWriter(path) as writer:")


# The command line reads people, answers' whereabouts and the log through the ocf functions
# that check the acting user against the database (issue 19), as pages do (their allowlist is
# below): the store's raw methods are not for it.
GUARDED_READS = re.compile(
    r"\b(db|store|_store\([^)]*\)|_store_to_add\([^)]*\))\.(?:\w+\.)?(audit_events|list_accounts|list_submissions"
    r"|invitation_statuses|revoke_account|add_sites|add_submitted|upsert_detentions|add_round"
    r"|set_round_status|close_panel|add_account)\("
)
# Pages never hold the store (issue 32): ruff's TID251 bans importing it in app_pages, where
# app_pages/common.py's store() is the one door. What a page may do with the handle it gets is
# an allowlist: read the platform's reference records (rounds, sites, content) and pass it to
# an ocf function that checks the acting user (an argument named actor), or to one of the few
# that read only what is public or what the page was already given.
REFERENCE_READS = {
    "detentions.detention_total",
    "identity",
    "is_demo",
    "panels.panel_closed",
    "rounds.assesses",
    "rounds.get_round",
    "rounds.list_rounds",
    "rounds.round_framework",
    "rounds.round_surveys",
    "sites.get_site",
    "sites.list_sites",
    "sites.require_site",
}
PUBLIC_READS = {
    # published content, reference data and public statistics
    "content_library",
    "detention_choices",
    "detention_rows",
    "framework_versions",
    "kept_text",
    "plan_link",
    "public_summary",
    "published_over",
    "published_rounds",
    "retention_policy",
    "safeguarding_procedure",
    "site_text",
    "sites_in",
    "standardised_available",
    "stored_disparity",
    "trend",
    # what the page already holds: its rounds, a plan it was allowed to read
    "history",
    "latest_with_results",
    "open_rounds_or_stop",
    # signing in, and the demo's one-click sign-in
    "demo_actor",
    "end",
    "resume",
    "sign_in",
    "sign_in_email",
}


def store_uses(path: Path) -> list[str]:
    """Where a page uses its store handle (`db` or `store()`) other than as the allowlist says."""
    tree = ast.parse(path.read_text())

    def is_store(node: ast.AST) -> bool:
        return (isinstance(node, ast.Name) and node.id == "db") or (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "store"
        )

    def acting(call: ast.Call) -> bool:
        values = [*call.args, *(k.value for k in call.keywords)]
        return any(
            (isinstance(v, ast.Name) and "actor" in v.id) or (isinstance(v, ast.Call) and acting(v))
            for v in values
        ) or any(k.arg == "actor" for k in call.keywords)

    def read(node: ast.Attribute) -> str:
        """`db.rounds.list_rounds` → "rounds.list_rounds"; `db.is_demo` → "is_demo"."""
        parent = getattr(parents.get(id(node)), "attr", None)
        return f"{node.attr}.{parent}" if parent else node.attr

    parents = {
        id(child.value): child for child in ast.walk(tree) if isinstance(child, ast.Attribute)
    }
    found = []
    for node in ast.walk(tree):
        where = f"{path.relative_to(PROJECT)}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Attribute) and is_store(node.value):
            if read(node) not in REFERENCE_READS:
                found.append(f"{where}: .{read(node)}")
        elif isinstance(node, ast.Call) and any(
            is_store(a) for a in [*node.args, *(k.value for k in node.keywords)]
        ):
            name = getattr(node.func, "attr", getattr(node.func, "id", "?"))
            if name not in PUBLIC_READS and not acting(node):
                found.append(f"{where}: {name}()")
    return sorted(found)


def test_pages_use_the_store_only_through_checked_functions() -> None:
    offenders = [
        where
        for p in UI
        if p.name not in ("common.py", "streamlit_app.py")
        for where in store_uses(p)
    ]
    assert offenders == []


def test_the_store_check_would_catch_a_raw_read(tmp_path: Path) -> None:
    sample = PROJECT / "tests" / "_store_sample.py"
    sample.write_text(
        "rows = db.submissions.answers_frame(round_id)\n"
        "table = who_answered(db, site, round_id)\n"
        "fine = results(db, actor, site, round_id)\n"
        "framework = store().rounds.round_framework(round_id)\n"
        "accounts = db.accounts\n"
    )
    try:
        assert store_uses(sample) == [
            "tests/_store_sample.py:1: .submissions.answers_frame",
            "tests/_store_sample.py:2: who_answered()",
            "tests/_store_sample.py:5: .accounts",
        ]
    finally:
        sample.unlink()


# …and the command line writes through the same functions as the app, never the importers'
# or the round module's own shortcuts.
CLI_SHORTCUTS = re.compile(
    r"\b(import_sites|import_responses|import_detentions|open_round|change_status)\("
)


def test_the_cli_reads_people_and_the_log_through_checked_functions() -> None:
    offenders = [
        f"{p.relative_to(PROJECT)}: {line.strip()}"
        for p in [PROJECT / "ocf" / "cli.py"]
        for line in p.read_text().splitlines()
        if GUARDED_READS.search(line)
    ]
    assert offenders == []


def test_the_guarded_read_check_would_catch_one() -> None:
    assert GUARDED_READS.search("accounts = db.accounts.list_accounts()")
    assert GUARDED_READS.search("_store(db_path).audit.audit_events(entity, limit)")


def test_the_cli_writes_through_the_apps_functions() -> None:
    cli = (PROJECT / "ocf" / "cli.py").read_text().splitlines()
    assert [line.strip() for line in cli if CLI_SHORTCUTS.search(line)] == []


def test_streamlit_run_streamlit_app_serves_the_whole_app() -> None:
    """`streamlit run streamlit_app.py` (Streamlit's convention) could sign nobody in: only
    serve.py carried the session's addresses. Streamlit now finds the app object there."""
    from streamlit.web.server.app_discovery import discover_asgi_app

    found = discover_asgi_app(PROJECT / "streamlit_app.py")
    assert found.is_asgi_app and found.import_string.endswith(":app")
    from streamlit_app import app

    paths = {getattr(route, "path", None) for route in app._user_routes}
    assert {"/_ocf/session", "/_ocf/sign-out"} <= paths
    assert "streamlit run streamlit_app.py" in (PROJECT / "Makefile").read_text()


# The one place a role's name is compared: the action table (ocf/permissions.py). Core functions
# call ensure/allowed with an action, pages name theirs (require_actor), and the router builds
# each menu by asking the table (app_router.PAGE_ACTIONS).
ROLE_HOMES = {"ocf/permissions.py"}


def role_comparisons(path: Path) -> list[str]:
    """`….role == x`, `….role in (…)`, `role == "admin"`: a role's powers decided in place (a
    role checked against the table's own constants, `role in ROLES`, is not)."""

    def named(side: ast.expr) -> bool:
        items = side.elts if isinstance(side, ast.Tuple | ast.List | ast.Set) else [side]
        return any(isinstance(i, ast.Constant) and isinstance(i.value, str) for i in items)

    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            attribute = any(isinstance(s, ast.Attribute) and s.attr == "role" for s in sides)
            variable = any(isinstance(s, ast.Name) and s.id == "role" for s in sides)
            if attribute or (variable and any(named(s) for s in sides)):
                found.append(f"{path.relative_to(PROJECT)}:{node.lineno}")
    return sorted(found, key=lambda where: int(where.rsplit(":", 1)[1]))


def test_what_each_role_may_do_is_decided_only_by_the_action_table() -> None:
    """Issue 32: "regulators see only published rounds" was written in six places; it is now one
    row of ocf.permissions.ACTIONS, and no other module compares roles."""
    offenders = [
        where
        for p in [*CORE, *UI]
        if str(p.relative_to(PROJECT)) not in ROLE_HOMES
        for where in role_comparisons(p)
    ]
    assert offenders == []


def test_the_role_check_would_catch_one(tmp_path: Path) -> None:
    sample = PROJECT / "tests" / "_role_sample.py"
    sample.write_text(
        'if actor.role == "regulator" and round_.status != "published":\n    pass\n'
        'if role in ("lead", "admin"):\n    pass\n'
        "if role in ROLES:\n    pass\n"
    )
    try:
        assert role_comparisons(sample) == ["tests/_role_sample.py:1", "tests/_role_sample.py:3"]
    finally:
        sample.unlink()


def test_every_core_module_declares_its_public_names() -> None:
    """Issue 32: `__all__` on each module of ocf/ says what other code may use; each name in
    it is defined there (a stale entry fails `from ocf.x import *`)."""
    import importlib

    missing, stale = [], []
    for path in CORE:
        if path.name == "__init__.py" and path.parent.name == "ocf":
            continue
        if path.parent.name == "store" and path.name != "__init__.py":
            continue  # the store's parts are one class, Store (ocf/store/__init__.py)
        name = ".".join(path.relative_to(PROJECT).with_suffix("").parts).removesuffix(".__init__")
        module = importlib.import_module(name)
        if not hasattr(module, "__all__"):
            missing.append(name)
            continue
        stale += [f"{name}.{n}" for n in module.__all__ if not hasattr(module, n)]
    assert missing == [] and stale == []


def core_imports() -> dict[str, set[str]]:
    """Each core module's imports of other core modules, lazy ones inside functions included."""
    modules = {
        ".".join(p.relative_to(PROJECT).with_suffix("").parts).removesuffix(".__init__"): p
        for p in CORE
    }
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                found.add(node.module)
                found.update(f"{node.module}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
        graph[name] = {m for m in found if m in modules and m != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every import cycle, each as the modules on it."""
    found, done = [], set()

    def visit(name: str, path: list[str]) -> None:
        for other in sorted(graph[name]):
            if other in path:
                found.append(path[path.index(other) :])
            elif other not in done:
                visit(other, [*path, other])
        done.add(name)

    for name in sorted(graph):
        if name not in done:
            visit(name, [name])
    return found


def test_the_core_has_no_import_cycle() -> None:
    """Issue 32: a module that needs another which needs it back (even lazily, inside a
    function) cannot be understood or tested alone."""
    assert cycles(core_imports()) == []


def test_the_cycle_check_would_catch_one() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == [["a", "b", "c"]]


def test_not_found_is_one_error() -> None:
    """Issue 32: "not found" was NotFound, KeyError or ConflictError; the core raises NotFound."""
    offenders = [
        f"{p.relative_to(PROJECT)}:{n}"
        for p in CORE
        for n, line in enumerate(p.read_text().splitlines(), start=1)
        if re.search(
            r"raise (KeyError|ConflictError)\(f?[\"'](no active|unknown round|site .* does not exist)",
            line,
        )
        or "raise KeyError(" in line
    ]
    assert offenders == []
