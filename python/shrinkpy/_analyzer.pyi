"""Stubs for shrinkpy._analyzer (python/src/analyzer_module.cpp)."""

from types import CodeType
from typing import Literal

Layer = Literal["concrete", "instructions", "cfg"]

MAGIC: int
DEBUG_LEVEL: int
REWRITER_VERSION: str

Mode = Literal["safe", "aggressive"]
# (qualname, line, variable, kind, reason, maybe_unbound); kind: after_last_use | before_operation | on_entry
Release = tuple[str, int, str, str, str, bool]
# (qualname, co_firstlineno, rule, reason)
Skip = tuple[str, int, str, str]

class AnalyzerError(ValueError):
    section: str  # "co_code", "co_exceptiontable", "co_linetable", "header", "code object", ...
    offset: int  # bytes into section, -1 when there is none
    opcode: int  # -1 when there is none
    opname: str
    reason: str

class InstructionReport:
    offset: int  # bytes, of the first EXTENDED_ARG prefix
    opcode: int
    opname: str
    arg: int
    line: int  # -1: no line
    block: int
    depth: int  # stack depth before; -1 unreachable
    live_before: tuple[str, ...]
    live_after: tuple[str, ...]
    bound_before: tuple[str, ...]
    last_uses: tuple[str, ...]

class CodeReport:
    name: str
    qualname: str
    filename: str
    firstlineno: int
    error: AnalyzerError | None
    locals: tuple[str, ...]
    observers: tuple[str, ...]
    stacksize: int
    co_stacksize: int
    unreachable_blocks: int
    instructions: list[InstructionReport]
    deaths: list[tuple[int, str, bool]]  # (block offset, local, definitely bound there)
    children: list[CodeReport]

def python_version_of_magic(magic: int) -> str: ...
def check_magic(magic: int) -> None: ...
def load_pyc(data: bytes) -> CodeType: ...
def opname(opcode: int) -> str: ...
def stack_effect(opcode: int, arg: int, jump: bool) -> int | None: ...
def decode(code: CodeType) -> list[tuple[int, str, int, int, int]]: ...
def exception_table(code: CodeType) -> list[tuple[int, int, int, int, bool]]: ...
def positions(code: CodeType) -> list[tuple[int | None, int | None, int | None, int | None]]: ...
def roundtrip(code: CodeType, layer: Layer = "cfg") -> tuple[bytes, bytes, bytes]: ...
def rebuild(code: CodeType, layer: Layer = "cfg") -> CodeType: ...
def serialize(code: CodeType) -> bytes: ...
def analyze(code: CodeType, recursive: bool = True) -> CodeReport: ...
def analyze_totals(codes: list[CodeType]) -> dict[str, int]: ...
def rewrite(code: CodeType, main: bool = False, mode: Mode = "safe", keep_lines: list[int] = ...,
            ignore_rules: list[str] = ...) -> tuple[CodeType, tuple[Release, ...], tuple[Skip, ...]]: ...
# ({qualname: {variable: (plain, why not, pinned, handle of, pointless)}}, converged)
def plain_data(module_code: CodeType, main: bool = False
               ) -> tuple[dict[str, dict[str, tuple[bool, str, bool, str | None, bool]]], bool]: ...
def policy_rules() -> list[tuple[str, str]]: ...
def imports(module_code: CodeType) -> list[dict[str, object]]: ...
def module_names(module_code: CodeType) -> dict[str, object]: ...
