"""The benchmark runner: its statistics on recorded fake runs, its JSON against the schema, the
README section it rewrites, its plots, and the pyperformance driver (without pyperformance)."""

from __future__ import annotations

import gzip
import json
import math
import sys
from dataclasses import asdict

import jsonschema
import pytest

from conftest import REPO, clean_env, run
from shrinkpy import bench, bench_cli, configs, pyperf_results
from shrinkpy.bench import Run
from shrinkpy.configs import Config

CLI = [sys.executable, "-m", "shrinkpy"]
SCHEMA = json.loads((REPO / "python" / "shrinkpy" / "bench.schema.json").read_text())


def cli_env(**extra):
    return clean_env(PYTHONPATH=str(REPO / "python"), **extra)


def fake(workload, config, index, rss_mib, wall, retained_mib=None, ok=True):
    return Run(workload, config, index, 0, ok, rss_mib << 20, (rss_mib - 2) << 20,
               None if retained_mib is None else retained_mib << 20, wall, wall)


RUNS = [
    fake("a", "stock", 1, 100, 1.0, 50), fake("a", "stock", 2, 120, 3.0, 60), fake("a", "stock", 3, 110, 2.0, 40),
    fake("a", "arena", 1, 50, 2.0, 10), fake("a", "arena", 2, 60, 2.0, 20), fake("a", "arena", 3, 55, 2.0, 30),
    fake("b", "stock", 1, 200, 1.0), fake("b", "arena", 1, 400, 1.0, ok=False),
]


def test_medians_ratios_and_geometric_means():
    med = bench.medians(RUNS)
    assert med[("a", "stock")]["peak_rss_bytes"] == 110 << 20
    assert med[("a", "arena")]["retained_bytes"] == 20 << 20
    assert med[("b", "stock")]["retained_bytes"] is None
    assert med[("b", "arena")]["output_ok"] is False
    rat = bench.ratios(med)
    assert rat[("a", "arena")]["peak_rss_bytes"] == pytest.approx(0.5)
    assert rat[("a", "arena")]["retained_bytes"] == pytest.approx(0.4)
    assert rat[("b", "arena")]["peak_rss_bytes"] == pytest.approx(2.0)
    geo = bench.geometric_means(rat, ["stock", "arena"], ["a", "b"])
    assert geo["arena"]["peak_rss_bytes"] == pytest.approx(math.sqrt(0.5 * 2.0))
    assert geo["arena"]["retained_bytes"] == pytest.approx(0.4)  # only "a" has a mark
    assert geo["stock"]["wall_seconds"] == pytest.approx(1.0)


def test_tables_show_ratios_and_flag_wrong_output():
    text = bench.format_tables(RUNS, ["stock", "arena"], ["a", "b"])
    assert "55.0 MiB (0.50x)" in text
    assert "WRONG OUTPUT" in text
    assert "geometric mean" in text
    markdown = bench.format_tables(RUNS, ["stock", "arena"], ["a", "b"], markdown=True)
    assert "| workload | stock | arena |" in markdown


def test_readme_section_is_replaced_between_markers(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{bench_cli.README_BEGIN}\nold table\n{bench_cli.README_END}\noutro\n")
    bench_cli.update_readme(readme, "new table")
    assert readme.read_text() == f"intro\n{bench_cli.README_BEGIN}\nnew table\n{bench_cli.README_END}\noutro\n"
    (tmp_path / "bare.md").write_text("no markers\n")
    with pytest.raises(SystemExit, match="has no"):
        bench_cli.update_readme(tmp_path / "bare.md", "x")


def test_bench_end_to_end_json_plot_and_readme(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"# r\n{bench_cli.README_BEGIN}\n{bench_cli.README_END}\n")
    out, png = tmp_path / "b.json", tmp_path / "b.png"
    r = run([*CLI, "bench", "--configs", "stock,shrinkpython-malloc", "--scale", "0.02", "--repeat", "1",
             "--json", str(out), "--plot", str(png), "--readme", str(readme), "sensor_pipeline", "log_analyser"],
            env=cli_env())
    assert r.returncode == 0, r.stderr.decode()
    doc = json.loads(out.read_text())
    jsonschema.validate(doc, SCHEMA)
    assert {(x["workload"], x["config"]) for x in doc["runs"]} == {
        (w, c) for w in ("sensor_pipeline", "log_analyser") for c in ("stock", "shrinkpython-malloc")}
    assert all(x["output_ok"] and x["retained_bytes"] > 0 for x in doc["runs"])
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10000
    text = readme.read_text()
    assert "| sensor_pipeline |" in text and "Measured by `shrinkpy bench" in text
    assert "peak RSS (median, ratio to stock)" in r.stdout.decode()
    assert set(doc["summary"]["live_peak_bytes"]) == {"sensor_pipeline", "log_analyser"}
    assert "- live Python data at the peak (tracemalloc's peak under python3.11" in text


def test_unknown_configuration_and_workload_are_clear_errors():
    r = run([*CLI, "bench", "--configs", "stock,turbo"], env=cli_env())
    assert r.returncode != 0 and b"unknown configuration turbo" in r.stderr
    r = run([*CLI, "bench", "--configs", "stock", "no_such_workload"], env=cli_env())
    assert r.returncode == 2 and b"no workload no_such_workload" in r.stderr


def test_pyperformance_explains_itself_when_missing():
    r = run([*CLI, "bench", "--pyperformance"], env=cli_env())
    assert r.returncode == 2
    assert b"pyperformance is not installed" in r.stderr
    assert b"python3 -m pip install pyperformance" in r.stderr


def write_pyperf(path, unit, values_by_name, gz=False):
    suite = {"version": "1.0", "metadata": {"unit": unit, "python_version": "3.11.2"},
             "benchmarks": [{"metadata": {"name": name},
                             "runs": [{"metadata": {}, "warmups": [[1, 0.5]]},  # calibration run: no values
                                      {"metadata": {}, "values": values}]}
                            for name, values in values_by_name.items()]}
    data = json.dumps(suite).encode()
    if gz:
        path.write_bytes(gzip.compress(data))
    else:
        path.write_bytes(data)
    return str(path)


def test_pyperf_results_are_read_and_compared(tmp_path):
    base = pyperf_results.load(write_pyperf(tmp_path / "stock.json", "byte", {"json_dumps": [100.0, 300.0],
                                                                              "nbody": [10.0], "only_base": [1.0]}))
    other = pyperf_results.load(write_pyperf(tmp_path / "arena.json.gz", "byte", {"json_dumps": [50.0, 150.0],
                                                                                  "nbody": [40.0]}, gz=True))
    assert base["json_dumps"].unit == "byte" and base["json_dumps"].mean == 200.0
    ratios, geo = pyperf_results.compare(base, other)
    assert ratios == {"json_dumps": 0.5, "nbody": 4.0}
    assert geo == pytest.approx(math.sqrt(2.0))


def test_pyperf_unit_mismatch_is_an_error(tmp_path):
    a = pyperf_results.load(write_pyperf(tmp_path / "a.json", "byte", {"x": [1.0]}))
    b = pyperf_results.load(write_pyperf(tmp_path / "b.json", "second", {"x": [1.0]}))
    with pytest.raises(ValueError, match="unit"):
        pyperf_results.compare(a, b)


def test_run_timeline_draws_a_png(tmp_path):
    png = tmp_path / "timeline.png"
    script = REPO / "benchmarks" / "workloads" / "service_spikes.py"
    r = run([*CLI, "run", "--no-report", "--timeline", str(png), str(script), "--scale", "0.05"], env=cli_env())
    assert r.returncode == 0, r.stderr.decode()
    samples = json.loads((tmp_path / "timeline.png.json").read_text())["samples"]
    assert len(samples) >= 3 and max(s["allocated_bytes"] for s in samples) > 1 << 20
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10000


def test_cli_suite_summary_compares_deferred_with_eager_imports():
    from shrinkpy import import_bench

    commands = import_bench.commands()
    assert commands["devicectl status"][1:] == ["status"]
    assert import_bench.is_light("devicectl --help") and import_bench.is_light("meterdb config")
    assert not import_bench.is_light("feedtool fetch")
    runs = [fake("devicectl status", "imports-eager", 1, 20, 0.100), fake("devicectl status", "imports-defer", 1, 10, 0.040),
            fake("devicectl --help", "imports-eager", 1, 20, 0.100), fake("devicectl --help", "imports-defer", 1, 10, 0.050),
            fake("devicectl serve", "imports-eager", 1, 30, 0.200), fake("devicectl serve", "imports-defer", 1, 30, 0.210)]
    names = ["devicectl --help", "devicectl status", "devicectl serve"]
    text = import_bench.summary(runs, names)
    assert "light paths' peak RSS 50% lower (target: at least 30%): met" in text
    assert "light paths' start-up 55% faster (target: at least 25%): met" in text
    assert "slowest path devicectl serve: 1.050x eager's wall time" in text and text.rstrip().endswith("NOT met")
    markdown = import_bench.summary(runs, names, markdown=True)
    assert "| devicectl serve (heavy) | 30.0 MiB | 30.0 MiB | 1.00x | 200 ms | 210 ms | 1.05x |" in markdown
    assert "lacks SHRINKPY_IMPORTS" in import_bench.summary(runs[:1], names[:1])


def spike(workload, config, retained_mib, before_mib=10, peak_mib=100, wall=1.0):
    return Run(workload, config, 1, 0, True, peak_mib << 20, peak_mib << 20, retained_mib << 20, wall, wall,
               before_mib << 20)


def test_spike_targets_say_what_is_met_and_by_how_much_what_is_not():
    runs = [spike("spike_dict_dropped", "stock", 12), spike("spike_dict_dropped", "arena", 11),
            spike("spike_dict_every50", "stock", 100), spike("spike_dict_every50", "arena", 40, wall=1.2),
            spike("spike_dict_dropped", "stock-malloc", 100), spike("spike_dict_every50", "stock-malloc", 110),
            spike("spike_dict_dropped", "stock-mimalloc", 90), spike("spike_dict_every50", "stock-mimalloc", 100)]
    lines = bench.spike_targets(runs, ["spike_dict_dropped", "spike_dict_every50"])
    text = "\n".join(lines)
    retained = math.sqrt(11 / 12 * 40 / 100)
    assert f"retained RSS vs stock: geometric mean {retained:.2f}x (target <= 0.50: missed by" in text
    assert "highest 0.92x on spike_dict_dropped (target <= 1.00: met)" in text
    assert "wall time vs stock: highest 1.20x on spike_dict_every50 (target <= 1.05: missed by 14.3%)" in text
    assert f"retained RSS vs stock-malloc: geometric mean {math.sqrt(11 / 100 * 40 / 110):.2f}x (target <= 0.35: met)" in text
    assert "spike_dict_dropped: RSS after the drop +1.0 MiB from before the spike (target <= 2 MiB: met)" in text
    assert bench.INDIRECT_PYMALLOC not in text  # not measured: no line
    runs += [spike("spike_dict_dropped", bench.INDIRECT_PYMALLOC, 12, wall=1.0),
             spike("spike_dict_every50", bench.INDIRECT_PYMALLOC, 100, wall=1.25)]
    text = "\n".join(bench.spike_targets(runs, ["spike_dict_dropped", "spike_dict_every50"]))
    assert (f"wall time vs {bench.INDIRECT_PYMALLOC} (called as the arena is, not inlined): highest 1.00x on "
            "spike_dict_dropped (target <= 1.05: met)") in text


def test_paired_runs_give_the_spread_a_target_is_judged_against():
    # Round by round, arena/stock over a and b: round 1 sqrt(1.2 * 0.9), round 2 sqrt(0.8 * 1.0),
    # round 3 sqrt(1.5 * 1.1); round 4 lacks b's stock run and does not count.
    walls = {("a", "stock"): [1.0, 1.0, 1.0, 1.0], ("a", "arena"): [1.2, 0.8, 1.5, 1.0],
             ("b", "stock"): [2.0, 2.0, 2.0], ("b", "arena"): [1.8, 2.0, 2.2, 2.0]}
    runs = [fake(w, c, i + 1, 100, wall) for (w, c), values in walls.items() for i, wall in enumerate(values)]
    low, high = bench.round_spread(runs, "arena", "wall_seconds", ["a", "b"])
    assert (low, high) == (pytest.approx(math.sqrt(0.8)), pytest.approx(math.sqrt(1.5 * 1.1)))
    assert bench.round_spread(runs, "arena", "wall_seconds", ["a"]) == (pytest.approx(0.8), pytest.approx(1.5))
    assert bench.round_spread(runs[:1] + runs[4:5], "arena", "wall_seconds", ["a"]) is None  # one round
    assert bench.verdict(1.1, 1.05) == "missed by 4.8%"
    assert bench.verdict(1.1, 1.05, (0.9, 1.3)) == "missed by 4.8%; paired runs 0.90-1.30x, on both sides of the target"
    assert bench.verdict(1.0, 1.05, (0.9, 1.0)) == "met; paired runs 0.90-1.00x"
    assert bench.verdict(None, 1.0, (0.9, 1.0)) == "-"


def test_workload_targets_judge_the_full_configuration():
    full = "trimmed+arena+early"
    runs = [fake("a", "stock", i, 100, 1.0) for i in (1, 2)] + [fake("b", "stock", i, 200, 2.0) for i in (1, 2)]
    runs += [fake("a", full, 1, 50, 0.9), fake("a", full, 2, 50, 1.1), fake("b", full, 1, 140, 2.0),
             fake("b", full, 2, 140, 2.0)]
    text = "\n".join(bench.workload_targets(runs, ["a", "b"]))
    assert f"{full} peak RSS vs stock: geometric mean {math.sqrt(0.5 * 0.7):.2f}x (target <= 0.60: met; paired runs 0.59-0.59x)" in text
    assert f"{full} wall time vs stock: geometric mean 1.00x (target <= 1.00: met; paired runs " \
           f"{math.sqrt(0.9):.2f}-{math.sqrt(1.1):.2f}x, on both sides of the target)" in text
    assert text.endswith("highest peak RSS ratios: b 0.70x, a 0.50x")
    assert bench.workload_targets(runs, ["a", "b"], config="arena") == []  # not measured: nothing to judge
    assert bench.SUITE_TARGETS["workloads"][1] is bench.workload_targets


def test_live_data_lines_say_where_the_target_is_below_the_programs_own_data():
    full = "trimmed+arena+early"
    runs = [fake("a", "stock", 1, 100, 1.0), fake("b", "stock", 1, 200, 1.0), fake("c", "stock", 1, 100, 1.0),
            fake("a", full, 1, 90, 1.0), fake("b", full, 1, 100, 1.0)]
    live = {"a": 80 << 20, "b": 50 << 20, "c": 70 << 20}
    lines = bench.live_data_lines(runs, live, ["a", "b", "c"])
    assert lines[0].endswith(f"geometric mean {(0.8 * 0.25 * 0.7) ** (1 / 3):.2f}x; above 0.60x on 2 of 3 workloads, "
                             "where no allocator or interpreter build can meet the peak target without shrinking the "
                             "program's objects: a 0.80x, c 0.70x")
    assert lines[1] == f"{full} peak RSS vs the live Python data: geometric mean {math.sqrt(90 / 80 * 2):.2f}x"
    only_b = bench.live_data_lines(runs, {"b": 50 << 20}, ["a", "b", "c"])
    assert only_b[0].endswith("above 0.60x on none of 1 workloads")
    assert bench.live_data_lines(runs, {}, ["a", "b"]) == []


def test_live_data_peaks_grow_with_what_the_workload_holds():
    small = bench.live_data_peaks(["spike_dict_dropped"], ["--scale", "0.02"])["spike_dict_dropped"]
    large = bench.live_data_peaks(["spike_dict_dropped"], ["--scale", "0.2"])["spike_dict_dropped"]
    # A tenth of the spike's 1M entries against a fiftieth: about 13 MiB more of ints, strs and table.
    assert large - small > 8 << 20, (small, large)


def test_a_suite_rewrites_its_own_readme_section(tmp_path):
    readme = tmp_path / "README.md"
    begin, end = bench_cli.readme_markers("spikes")
    assert begin == "<!-- bench-spikes:begin -->"
    readme.write_text(f"{bench_cli.README_BEGIN}\nmatrix\n{bench_cli.README_END}\n{begin}\nold\n{end}\n")
    bench_cli.update_readme(readme, "spikes", begin, end)
    assert readme.read_text() == f"{bench_cli.README_BEGIN}\nmatrix\n{bench_cli.README_END}\n{begin}\nspikes\n{end}\n"
    assert list(bench.workloads("spikes")) == list(bench.SUITES["spikes"].names)
    assert set(bench.workloads("spikes")) <= set(bench.workloads())
    assert "arena" in bench.SUITES["spikes"].configs.split(",")


def test_the_retained_floor_comes_from_the_arenas_census_at_the_mark():
    marks = {"retained": 100 << 20, "retained.page_size": 4096, "retained.empty_pages": 2560,
             "retained.live_pages": 9000, "retained.large_cached_bytes": 1 << 20}
    assert bench.retained_floor(marks) == (100 - 10 - 1) << 20
    assert bench.retained_floor({"retained": 100 << 20}) is None  # not the arena: no census
    runs = [spike("spike_dict_every50", "stock", 100), spike("spike_dict_every50", "arena", 80)]
    runs[1] = Run(**{**asdict(runs[1]), "retained_floor_bytes": 60 << 20})
    lines = bench.spike_targets(runs, ["spike_dict_every50"])
    assert any("retained floor vs stock's retained RSS: geometric mean 0.60x" in line and "at 1.33x of it" in line
               for line in lines), lines


def test_a_mark_under_the_arena_carries_its_census(shrinkpython, tmp_path):
    marks = tmp_path / "marks"
    code = ("import sys; sys.path.insert(0, sys.argv[1]); from workload_support import mark; "
            "x = [str(i) * 5 for i in range(100000)]; mark('retained')")
    workloads = str(REPO / "benchmarks" / "workloads")
    for allocator, has_census in (("arena", True), ("pymalloc", False)):
        marks.unlink(missing_ok=True)
        r = run([shrinkpython, "-c", code, workloads], env=cli_env(SHRINKPY_BENCH_MARKS=str(marks),
                                                                  SHRINKPY_ALLOCATOR=allocator))
        assert r.returncode == 0, r.stderr.decode()
        marked = bench._marks(str(marks))
        assert marked["retained"] > 0
        assert ("retained.live_pages" in marked) == has_census
        if has_census:
            assert marked["retained.live_pages"] * marked["retained.page_size"] > 5 << 20  # the list's strings


def test_a_configuration_that_cannot_import_what_a_workload_needs_does_not_run_it(tmp_path):
    # As the trimmed interpreter, which has no _sqlite3: sqlite3 shadowed by a module that fails.
    (tmp_path / "sqlite3.py").write_text("raise ImportError('trimmed out')\n")
    stock = configs.named()["stock"]
    lacking = Config("no-sqlite", "python3.11 without sqlite3", "stock", {"PYTHONPATH": str(tmp_path)})
    excluded = bench.unrunnable_pairs(["graph_search", "sqlite_ingest"], [stock, lacking])
    assert excluded == {("sqlite_ingest", "no-sqlite"): "cannot import sqlite3: ImportError: trimmed out"}
    runs, _ = bench.run_matrix(["sqlite_ingest"], [stock, lacking], 1, ["--scale", "0.01"], excluded=excluded)
    assert {(r.workload, r.config) for r in runs} == {("sqlite_ingest", "stock")} and runs[0].output_ok


def test_targets_table_puts_the_untrimmed_shrinkpython_beside_as_a_ratio_to_python311():
    from shrinkpy import targets_cli

    mib = 2**20
    rows = [("`-c pass`", 8 * mib, 4 * mib, 0.5, 0.6, 0.45, True, 10 * mib),
            ("demo", 100 * mib, 90 * mib, 0.9, 0.7, None, False, None)]
    lines = targets_cli.format_table(rows, "host", 5).splitlines()
    assert lines[2].endswith("| same output | shrinkpython, not trimmed |")
    assert lines[4] == "| `-c pass` | 8.0 MiB | 4.0 MiB | 0.50x | <= 0.6x (goal 0.45x) | yes | yes | 10.0 MiB (1.25x) |"
    # Where shrinkpython is not built, its column says so instead of a number.
    assert lines[5] == "| demo | 100.0 MiB | 90.0 MiB | 0.90x | <= 0.7x | no | NO | - |"
