"""Bad input gives one exception type with section, offset, opcode and reason; paired with
tests/cpp/test_concrete.cpp (decoder errors) and test_version_gate (C++)."""

import importlib.util
import marshal
import struct

import pytest


def pyc(magic, code):
    return struct.pack("<H", magic) + b"\r\n" + b"\0" * 12 + marshal.dumps(code)


@pytest.mark.parametrize("magic, version", [(3439, "3.10"), (3531, "3.12"), (3571, "3.13"), (3494, "3.11 pre-release")])
def test_other_versions_are_refused_by_name(analyzer, magic, version):
    with pytest.raises(analyzer.AnalyzerError) as info:
        analyzer.load_pyc(pyc(magic, compile("x = 1", "m", "exec")))
    assert f"is CPython {version};" in str(info.value)
    assert info.value.section == "header" and info.value.offset == 0


def test_311_pyc_loads(analyzer, tmp_path):
    code = compile("x = 1", "m", "exec")
    data = importlib.util.MAGIC_NUMBER + b"\0" * 12 + marshal.dumps(code)
    assert analyzer.load_pyc(data) == code
    with pytest.raises(analyzer.AnalyzerError, match="16-byte header"):
        analyzer.load_pyc(data[:10])


def test_truncated_exception_table_reports_its_offset(analyzer):
    def f():
        try:
            return 1 / 0
        except ZeroDivisionError:
            return 2

    table = f.__code__.co_exceptiontable
    assert len(table) >= 4
    broken = f.__code__.replace(co_exceptiontable=table[:-1])
    with pytest.raises(analyzer.AnalyzerError) as info:
        analyzer.roundtrip(broken)
    err = info.value
    assert err.section == "co_exceptiontable"
    assert err.offset == len(table) - 1
    assert "truncated" in err.reason


def test_bad_code_reports_offset_and_opcode(analyzer):
    code = compile("a = b", "m", "exec")
    raw = bytearray(code.co_code)
    raw[-2:] = bytes([144, 0])  # EXTENDED_ARG as the last unit
    with pytest.raises(analyzer.AnalyzerError) as info:
        analyzer.decode(code.replace(co_code=bytes(raw)))
    assert info.value.section == "co_code"
    assert info.value.opname == "EXTENDED_ARG"
    assert info.value.offset == len(raw) - 2
    assert "end of co_code" in info.value.reason


def test_undefined_opcode_and_missing_caches(analyzer):
    code = compile("a.b", "m", "exec")
    raw = bytearray(code.co_code)
    raw[2] = 230
    # code.co_code de-specializes through _PyOpcode_Deopt, which maps bytes that are not opcodes
    # to CACHE (0): from Python the decoder sees a stray CACHE (tests/cpp covers raw bytes).
    with pytest.raises(analyzer.AnalyzerError, match="CACHE unit where an instruction was expected") as info:
        analyzer.decode(code.replace(co_code=bytes(raw)))
    assert info.value.offset == 2 and info.value.opcode == 0
    load_attr = [i.offset for i in __import__("dis").get_instructions(code) if i.opname == "LOAD_ATTR"][0]
    with pytest.raises(analyzer.AnalyzerError, match="CACHE units"):
        analyzer.decode(code.replace(co_code=code.co_code[: load_attr + 4]))


def test_non_code_objects_are_refused(analyzer):
    with pytest.raises(analyzer.AnalyzerError, match="expected a code object"):
        analyzer.analyze("not code")
    assert issubclass(analyzer.AnalyzerError, ValueError)
