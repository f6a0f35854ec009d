"""The bytecode analyzer (shrinkpy._analyzer, a pybind11 module over libshrinkpy_analyzer).

Analyze a CPython 3.11 code object recursively through co_consts: per-instruction liveness and
last uses of fast locals, import facts, module-level names, and the decode/encode round trip; the
early-freeing rewriter (rewrite), the plain-data analysis behind its safe policy (plain_data) and
the rules of that policy (policy_rules). Every failure is an AnalyzerError carrying section,
offset, opcode and reason.
"""

from shrinkpy._analyzer import (  # noqa: F401  (re-exports)
    DEBUG_LEVEL,
    MAGIC,
    REWRITER_VERSION,
    AnalyzerError,
    CodeReport,
    InstructionReport,
    analyze,
    analyze_totals,
    check_magic,
    decode,
    exception_table,
    imports,
    load_pyc,
    module_names,
    opname,
    plain_data,
    policy_rules,
    positions,
    python_version_of_magic,
    rebuild,
    rewrite,
    roundtrip,
    serialize,
    stack_effect,
)

__all__ = [
    "DEBUG_LEVEL", "MAGIC", "REWRITER_VERSION", "AnalyzerError", "CodeReport", "InstructionReport", "analyze",
    "analyze_totals", "check_magic", "decode", "exception_table", "imports", "load_pyc", "module_names", "opname",
    "plain_data", "policy_rules", "positions", "python_version_of_magic", "rebuild", "rewrite", "roundtrip",
    "serialize", "stack_effect", "walk",
]


def walk(report):
    """Yield a CodeReport and all its nested reports, depth first."""
    yield report
    for child in report.children:
        yield from walk(child)
