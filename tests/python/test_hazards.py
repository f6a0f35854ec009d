"""The hazard corpus (early_free/hazards/): every program prints OK under shrinkpython's safe early
freeing with the whole program and the standard library rewritten, and breaks once the rules its
first line names are switched off; every rule of the policy has such a program."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import clean_env, run

HAZARDS = Path(__file__).parent / "early_free" / "hazards"
PROGRAMS = sorted(HAZARDS.glob("*.py"))
RESOURCE_RULES = {"plain-data", "container-taint", "handles"}
# Rules that are not hazards of freeing early: escape hatches and the fallback for bad code.
NOT_HAZARDS = {"pragma", "no_early_free", "error"}


def rules_of(program: Path) -> list[str]:
    first = program.read_text().splitlines()[0]
    assert first.startswith("# rules: "), f"{program.name}: the first line must name its rules"
    return [r.strip() for r in first[len("# rules: "):].split("  (")[0].split(",")]


def outcome(python: str, program: Path, **env: str) -> str:
    r = run([python, str(program)], env=clean_env(**env), cwd=HAZARDS, timeout=120)
    lines = r.stdout.decode().strip().splitlines()
    return lines[-1] if lines and r.returncode == 0 else f"exit {r.returncode}: {r.stderr.decode()[-300:]}"


def test_every_rule_of_the_policy_has_a_hazard(analyzer):
    rules = {rule for rule, _ in analyzer.policy_rules()} - NOT_HAZARDS
    covered = {rule for program in PROGRAMS for rule in rules_of(program)}
    assert rules - covered == set()
    assert covered - rules == set()  # no program names a rule that does not exist


@pytest.mark.parametrize("program", PROGRAMS, ids=[p.stem for p in PROGRAMS])
def test_safe_keeps_it_working_and_each_rule_is_needed(program, shrinkpython, stock):
    assert outcome(stock, program) == "OK"
    safe = {"SHRINKPY_REWRITE": "all", "SHRINKPY_EARLY_FREE": "safe"}
    assert outcome(shrinkpython, program, **safe) == "OK"
    broken = outcome(shrinkpython, program, **safe, SHRINKPY_EARLY_FREE_IGNORE=",".join(rules_of(program)))
    assert broken != "OK", f"{program.name} still works with {rules_of(program)} switched off"


@pytest.mark.parametrize("program", [p for p in PROGRAMS if set(rules_of(p)) <= RESOURCE_RULES],
                         ids=lambda p: p.stem)
def test_aggressive_drops_the_resource_rules(program, shrinkpython):
    assert outcome(shrinkpython, program, SHRINKPY_REWRITE="all", SHRINKPY_EARLY_FREE="aggressive") != "OK"
