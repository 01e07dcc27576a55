"""The test suite's own layout: test modules share builders through tests/support, never
by importing one another (a conftest or a test module imported elsewhere runs its fixtures
and tests twice, and ties unrelated files together)."""

from __future__ import annotations

import ast

from tests.support.inputs import REPO


def imported_modules(path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_no_test_module_or_conftest_is_imported_by_another_file():
    offenders = []
    for path in sorted((REPO / "tests").rglob("*.py")):
        for module in imported_modules(path):
            last = module.rsplit(".", 1)[-1]
            if module.startswith("tests") and (last == "conftest" or last.startswith("test_")):
                offenders.append(f"{path.relative_to(REPO)} imports {module}")
    assert offenders == []


def test_support_modules_import_no_test_module():
    for path in sorted((REPO / "tests" / "support").glob("*.py")):
        assert not any(
            m.startswith("tests.") and not m.startswith("tests.support")
            for m in imported_modules(path)
        ), path


def test_the_engine_ingest_and_exports_never_import_dagster():
    """Dagster is a thin shell over fiberbill/, ingest/ and exports/ (docs/architecture.md):
    those run and test without it."""
    offenders = []
    for package in ("fiberbill", "ingest", "exports"):
        for path in sorted((REPO / package).rglob("*.py")):
            for module in imported_modules(path):
                if module.split(".")[0] in ("dagster", "dagster_dbt", "dagster_project"):
                    offenders.append(f"{path.relative_to(REPO)} imports {module}")
    assert offenders == []


def test_the_engine_reads_only_the_dbt_relations_listed_in_relations_py():
    """fiberbill/relations.py is the one edge between the engine and dbt; the Dagster
    graph's ledger dependencies come from it, so an unlisted relation is a missing edge."""
    import re

    from fiberbill import relations

    listed = set(relations.DERIVED) | set(relations.MARTS)
    named = set()
    for path in [*(REPO / "fiberbill").rglob("*.py"), *(REPO / "fiberbill").rglob("*.sql")]:
        named |= set(re.findall(r"\b(?:staging|intermediate|marts)\.[a-z_]+", path.read_text()))
    assert named - listed == set()
    assert set(relations.DERIVED) <= named  # nothing listed that nothing reads


def test_benchmarks_import_nothing_from_tests():
    """Benchmarks share builders with the tests through sandbox/ and fiberbill.samples."""
    offenders = [
        f"{path.relative_to(REPO)} imports {module}"
        for path in sorted((REPO / "benchmarks").glob("*.py"))
        for module in imported_modules(path)
        if module.split(".")[0] == "tests"
    ]
    assert offenders == []


def test_product_code_never_imports_the_sandbox():
    offenders = [
        f"{path.relative_to(REPO)} imports {module}"
        for package in ("fiberbill", "ingest", "exports", "dagster_project")
        for path in sorted((REPO / package).rglob("*.py"))
        for module in imported_modules(path)
        if module.split(".")[0] in ("sandbox", "localstripe")
    ]
    assert offenders == []


def test_dagster_is_definitions_resources_and_one_module_of_definitions_per_domain():
    """dagster_project/ holds definitions.py, resources.py and defs/<domain>/, and
    definitions.py merges each domain's definitions(cycle). (That the calendar is read when
    the definitions load, not at import, is tests/dagster/test_definitions.py's.)"""
    from dagster_project import definitions

    top = sorted(p.name for p in (REPO / "dagster_project").glob("*.py"))
    assert top == ["__init__.py", "definitions.py", "resources.py"]
    domains = sorted(p.name for p in (REPO / "dagster_project" / "defs").iterdir() if p.is_dir())
    merged = sorted(d.__name__.split(".")[2] for d in definitions.DOMAINS)
    assert merged == [d for d in domains if d != "__pycache__"]


def test_models_read_the_ledger_only_through_its_staging_models():
    """A ledger table is a dbt source read by exactly one model, its stg_ledger__ model;
    every other model and macro reads that model (tests may check the sources directly)."""
    dbt = REPO / "dbt"
    for path in [*(dbt / "models").rglob("*.sql"), *(dbt / "macros").rglob("*.sql")]:
        text = path.read_text()
        if path.parent.name == "ledger" and path.stem.startswith("stg_ledger__"):
            table = path.stem.removeprefix("stg_ledger__")
            assert f"source('ledger', '{table}')" in text, path
        else:
            assert "source('ledger'" not in text, path
