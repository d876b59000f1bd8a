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


# Reads of people, answers' whereabouts and the log go through an ocf function that checks the
# acting user against the database (issue 19); the store's raw methods are not for pages.
GUARDED_READS = re.compile(
    r"\b(db|store|_store\([^)]*\)|_store_to_add\([^)]*\))\.(audit_events|list_accounts|list_submissions"
    r"|invitation_statuses|revoke_account|add_sites|add_submitted|upsert_detentions|add_round"
    r"|set_round_status|close_panel|add_account)\("
)
# …and the command line writes through the same functions as the app, never the importers'
# or the round module's own shortcuts.
CLI_SHORTCUTS = re.compile(
    r"\b(import_sites|import_responses|import_detentions|open_round|change_status)\("
)


def test_pages_and_the_cli_read_people_and_the_log_through_checked_functions() -> None:
    offenders = [
        f"{p.relative_to(PROJECT)}: {line.strip()}"
        for p in [*UI, PROJECT / "ocf" / "cli.py"]
        for line in p.read_text().splitlines()
        if GUARDED_READS.search(line)
    ]
    assert offenders == []


def test_the_guarded_read_check_would_catch_one() -> None:
    assert GUARDED_READS.search("accounts = db.list_accounts()")
    assert GUARDED_READS.search("_store(db_path).audit_events(entity, limit)")


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


# Where a role's name may still be compared: the action table, the account checks that use it
# (ocf.access: require_role, kept for administrator-only functions, issue 32), and the page
# guard that reads a page's roles (app_pages/common.py: require_actor).
ROLE_HOMES = {"ocf/permissions.py", "ocf/access.py", "app_pages/common.py"}


def role_comparisons(path: Path) -> list[str]:
    """`….role == x`, `….role in (…)`, `….role != x`: a role's powers decided in place."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(isinstance(s, ast.Attribute) and s.attr == "role" for s in sides):
                found.append(f"{path.relative_to(PROJECT)}:{node.lineno}")
    return found


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
    sample.write_text('if actor.role == "regulator" and round_.status != "published":\n    pass\n')
    try:
        assert role_comparisons(sample) == ["tests/_role_sample.py:1"]
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
