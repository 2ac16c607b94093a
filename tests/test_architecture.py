"""The shape of the code, checked: rules of the access policy live in the policy modules, views
do not query the database, templates ask what a person may do, and function-local imports say why.

import-linter checks which layer imports which (``make lint``); docs/architecture.md draws it.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("core", "audit", "accounts", "records", "consent", "access_requests", "home", "demo")
POLICY_MODULES = {
    Path("records/policy.py"),
    Path("consent/policy.py"),
    Path("access_requests/policy.py"),
}

# Deciding by role or by a role's predicate: what only the policy modules may do.
ROLE_RULES = [
    re.compile(r"\.role\s*(==|!=|\bin\b|\bnot in\b)"),
    re.compile(r"\brole\s*(==|!=)\s*Role\."),
    re.compile(r"\.(filter|exclude|get)\([^)]*\brole(__in)?\s*="),
    re.compile(
        r"\b(is_manager|is_lead|is_acting_lead|is_practitioner|has_lead_approval|role_of)\(",
    ),
    re.compile(r"\bMANAGERS\b"),
]
TEMPLATE_ROLE_RULES = [
    re.compile(r"\b(is_manager|is_lead|is_deputy)\b"),
    re.compile(r"\.role\s*(==|!=)|\.role\s+(==|!=|in)\s"),
]


def source_files() -> Iterator[Path]:
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if "migrations" not in relative.parts:
                yield relative


def template_files() -> Iterator[Path]:
    for path in sorted(ROOT.glob("templates/**/*.html")):
        yield path.relative_to(ROOT)
    for app in APPS:
        for path in sorted((ROOT / app).glob("templates/**/*.html")):
            yield path.relative_to(ROOT)


def code_lines(path: Path) -> Iterator[tuple[int, str]]:
    """The lines of a module without its comments and docstrings' prose lines (a line inside a
    triple-quoted string still counts: rules are not written in strings)."""
    for number, line in enumerate((ROOT / path).read_text().splitlines(), start=1):
        code = line.split("#", 1)[0]
        if code.strip():
            yield number, code


def test_no_module_outside_the_policy_modules_decides_by_role() -> None:
    # The demo casts its fictional people in their parts (who writes which story); it decides
    # nobody's access, and nothing imports it.
    found = [
        f"{path}:{number}: {line.strip()}"
        for path in source_files()
        if path not in POLICY_MODULES and path.parts[0] != "demo"
        for number, line in code_lines(path)
        if any(rule.search(line) for rule in ROLE_RULES)
    ]
    assert found == [], "role rules outside the policy modules:\n" + "\n".join(found)


def test_the_role_check_would_catch_a_role_rule_written_in_a_view() -> None:
    written = [
        "if staff.role == Role.LEAD:",
        "    if policy.is_manager(user):",
        "Staff.objects.filter(role=Role.DEPUTY, active=True)",
        "if role in policy.MANAGERS:",
        "qs.exclude(active=False, role__in=[Role.OFFICE])",
    ]
    assert all(any(rule.search(line) for rule in ROLE_RULES) for line in written)
    assert not any(
        rule.search("role = forms.ChoiceField(choices=policy.assignable_roles)")
        for rule in ROLE_RULES
    )


def test_templates_ask_what_the_person_may_do_not_their_role() -> None:
    found = [
        f"{path}:{number}: {line.strip()}"
        for path in template_files()
        for number, line in enumerate((ROOT / path).read_text().splitlines(), start=1)
        if any(rule.search(line) for rule in TEMPLATE_ROLE_RULES)
    ]
    assert found == [], "templates deciding by role:\n" + "\n".join(found)


# A query through a related manager (child.carers.all()) is a query too.
QUERYSET_CALL = re.compile(
    r"\.(all|filter|exclude|order_by|first|exists|select_related|prefetch_related|annotate|"
    r"aggregate|values_list)\("
)


def _views() -> list[Path]:
    return [p for p in source_files() if p.name == "views.py" or "views" in p.parts]


def test_views_do_not_query_the_database_themselves() -> None:
    """Reads go through selectors (which apply the policy); writes through services."""
    found = [
        f"{path}:{number}: {line.strip()}"
        for path in _views()
        for number, line in code_lines(path)
        if re.search(r"\.objects\b|\._default_manager\b|\.raw\(", line)
        or QUERYSET_CALL.search(line)
    ]
    assert found == [], "ORM queries in views:\n" + "\n".join(found)


def _local_imports(tree: ast.AST) -> Iterator[ast.stmt]:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Import | ast.ImportFrom):
                    yield inner


def test_function_local_imports_say_why() -> None:
    """An import inside a function is allowed where a comment beside or above it says why (an
    AppConfig.ready(), a module that must not load at import time, a cycle)."""
    found = []
    for path in source_files():
        lines = (ROOT / path).read_text().splitlines()
        for node in _local_imports(ast.parse("\n".join(lines))):
            here = lines[node.lineno - 1]
            # The comment above a block of imports covers the block.
            row = node.lineno - 2
            while row > 0 and re.match(r"\s*(from|import) ", lines[row]):
                row -= 1
            above = lines[row] if row >= 0 else ""
            in_ready = any(
                re.match(r"\s*def ready\(self\)", line) for line in lines[: node.lineno][-25:]
            )
            if "#" not in here and not above.strip().startswith("#") and not in_ready:
                found.append(f"{path}:{node.lineno}: {here.strip()}")
    assert found == [], "function-local imports without a reason:\n" + "\n".join(found)


def _lines_of(paths: list[Path]) -> int:
    return sum(len((ROOT / p).read_text().splitlines()) for p in paths)


def test_records_holds_under_a_third_of_the_code() -> None:
    every = [p for p in (ROOT.glob("*/**/*.py")) if p.relative_to(ROOT).parts[0] in APPS]
    every_relative = [p.relative_to(ROOT) for p in every]
    records = [p for p in every_relative if p.parts[0] == "records"]
    share = _lines_of(records) / _lines_of(every_relative)
    assert share < 1 / 3, f"records/ holds {share:.0%} of the non-test lines"


@pytest.mark.parametrize("app", APPS)
def test_every_layer_is_an_app_with_a_config(app: str) -> None:
    assert (ROOT / app / "apps.py").exists()


def _queries_made_at_import(tree: ast.AST) -> Iterator[int]:
    """Lines where a class body (a form, a filter) or a module builds a queryset other than
    ``.none()``: built once at import, it is nobody's setting (core.tenancy)."""
    scopes: list[list[ast.stmt]] = [tree.body]  # type: ignore[attr-defined]
    scopes += [node.body for node in ast.walk(tree) if isinstance(node, ast.ClassDef)]
    for body in scopes:
        for statement in body:
            if not isinstance(statement, ast.Assign | ast.AnnAssign):
                continue
            for node in ast.walk(statement):
                asks_policy = (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == "policy"
                    and not isinstance(statement.value, ast.Lambda)
                    and "choices=policy." not in ast.unparse(statement)
                )
                if asks_policy:
                    yield statement.lineno
                    break
                if not isinstance(node, ast.Attribute) or node.attr != "objects":
                    continue
                source = ast.unparse(statement)
                if ".objects.none()" not in source or source.count(".objects") > 1:
                    yield statement.lineno
                break


def test_no_queryset_is_built_when_a_module_loads() -> None:
    """Choices and querysets are made when a form is, in the setting being worked in; a queryset
    built at import would offer every setting's rows (the cross-setting proof found one)."""
    offenders = [
        f"{path}:{line}"
        for path in source_files()
        if path.name != "models.py"
        for line in _queries_made_at_import(ast.parse((ROOT / path).read_text()))
    ]
    assert offenders == []


def test_the_import_check_would_catch_a_class_level_queryset() -> None:
    tree = ast.parse(
        "class F(forms.Form):\n    room = forms.ModelChoiceField(queryset=Room.objects.all())\n"
    )
    assert list(_queries_made_at_import(tree)) == [2]
    fine = ast.parse(
        "class F(forms.Form):\n    room = forms.ModelChoiceField(queryset=Room.objects.none())\n"
    )
    assert list(_queries_made_at_import(fine)) == []
    asked = ast.parse("class F(forms.Form):\n    g = forms.ModelChoiceField(queryset=policy.a())\n")
    assert list(_queries_made_at_import(asked)) == [2]


# Where a query may cross settings (core.tenancy), and why: anywhere else it would be a leak.
ACROSS_SETTINGS = {
    Path("core/tenancy.py"): "defines it",
    Path("records/policy.py"): "a person's posts in every setting, to choose where to work",
    Path("records/admin.py"): "the IT administrator's room names, unique within a setting",
    Path("consent/selectors.py"): "the group overview's counts",
    Path("access_requests/selectors.py"): "the group overview's counts",
    Path("access_requests/tasks.py"): "a render task finds its request's setting",
    Path("records/moving.py"): "a setting's rows, exported whole when it leaves the group",
}


def test_queries_cross_settings_only_where_listed() -> None:
    found = {
        path
        for path in source_files()
        if any("across_settings(" in code for _, code in code_lines(path))
    }
    assert found <= set(ACROSS_SETTINGS), sorted(map(str, found - set(ACROSS_SETTINGS)))
