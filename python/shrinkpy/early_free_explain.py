"""What early freeing does to one program, as `shrinkpy analyze` shows it: every release the
rewriter inserts (function, line, variable, why), every function it leaves alone (the rule of the
policy), and, under the safe policy, why a variable is kept (it may own a resource)."""

from __future__ import annotations

PRAGMA = "shrinkpy: keep"  # as runtime/loader_hook.py looks for it


def keep_lines(source: str) -> tuple[int, ...]:
    return tuple(n for n, line in enumerate(source.splitlines(), 1) if PRAGMA in line)


def facts(module_code, source: str, mode: str = "safe", main: bool = True) -> dict:
    """The rewriter's decisions for a module's code object, as plain data."""
    from shrinkpy import analyzer

    _, releases, skips = analyzer.rewrite(module_code, main=main, mode=mode, keep_lines=keep_lines(source))
    released = {(q, n) for q, _, n, *_ in releases}
    kept = {}
    if mode == "safe":
        plain, _converged = analyzer.plain_data(module_code, main)
        for qualname, variables in plain.items():
            if qualname == "<module>":
                continue  # module-level names: only data no function reads is ever released
            why = {name: reason for name, (is_plain, reason, pinned, _, pointless) in variables.items()
                   if (qualname, name) not in released and (reason or pinned) and not pointless}
            for name in list(why):
                if not why[name]:
                    why[name] = "a handle derived from it is used where the analysis cannot follow it"
            if why:
                kept[qualname] = why
    return {
        "mode": mode,
        "main": main,
        "releases": [{"function": q, "line": line, "name": name, "kind": kind, "reason": reason,
                      "maybe_unbound": maybe} for q, line, name, kind, reason, maybe in releases],
        "skipped": [{"function": q, "line": line, "rule": rule, "reason": reason} for q, line, rule, reason in skips],
        "kept": kept,
    }


def print_facts(early: dict) -> None:
    where = "as __main__" if early["main"] else "as an imported module"
    print(f"\nearly freeing ({early['mode']}, {where}): {len(early['releases'])} releases")
    by_function: dict[str, list[dict]] = {}
    for r in early["releases"]:
        by_function.setdefault(r["function"], []).append(r)
    for function, releases in by_function.items():
        print(f"  {function}")
        for r in sorted(releases, key=lambda r: (r["line"], r["name"])):
            form = " (maybe unbound there: set to None)" if r["maybe_unbound"] else ""
            print(f"    line {r['line']}: {r['name']} released {r['reason']}{form}")
    for s in early["skipped"]:
        print(f"  skipped {s['function']} (line {s['line']}), rule {s['rule']}: {s['reason']}")
    for function, why in early["kept"].items():
        for name, reason in why.items():
            print(f"  kept {function}: {name}: {reason}")


def print_rules() -> None:
    from shrinkpy import analyzer

    print("Rules of the early-freeing policy (SHRINKPY_EARLY_FREE_IGNORE takes these names):")
    for rule, meaning in analyzer.policy_rules():
        print(f"  {rule:<16} {meaning}")
