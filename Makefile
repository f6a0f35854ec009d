# shrinkpy: `make demo` and `make test` on a fresh Debian 12 (or Raspberry Pi OS bookworm) machine.
# Both install the Debian packages they need when run as root (else print the apt-get line and stop),
# configure and build with CMake, then do their job.

PYTHON      ?= /usr/bin/python3.11
BUILD       ?= build
JOBS        ?= $(shell nproc)
CMAKE_FLAGS ?=

# What building needs, what testing adds, what the demo and benchmarks add. lld and qemu-user: the
# start-up code layout of libshrinkpython.so and of the trimmed interpreter (traced under qemu-user).
PACKAGES_BUILD = cmake make g++ python3.11 libpython3.11-dev python3.11-venv libmimalloc2.0 libmimalloc-dev \
                 pybind11-dev libgtest-dev libgmock-dev libbenchmark-dev python3-setuptools python3-pip python3-wheel \
                 lld qemu-user
PACKAGES_TEST  = python3-pytest python3-jsonschema libpython3.11-testsuite clang-format git
PACKAGES_DEMO  = python3-numpy python3-matplotlib valgrind
# `make test-packages`: libraries whose own test suites run under shrinkpython (with matplotlib).
PACKAGES_SWEEP = python3-sympy python3-mpmath python3-pyflakes
# `shrinkpy build` (boards/): CPython's build needs (with PACKAGES_BUILD's lld and qemu-user); the host
# board is built by `make test`. Cross builds add the aarch64 toolchain (`make test-cross`).
PACKAGES_BOARD = gcc make binutils zlib1g-dev
PACKAGES_CROSS = gcc-aarch64-linux-gnu g++-aarch64-linux-gnu libc6-dev-arm64-cross binutils-aarch64-linux-gnu
BOARD         ?= host

# The package from the source tree: the CLI finds shrinkpython in $(BUILD) through SHRINKPY_BIN_DIR.
DEV_ENV = PYTHONPATH=$(CURDIR)/python SHRINKPY_BIN_DIR=$(CURDIR)/$(BUILD)/runtime

.PHONY: all deps deps-test deps-demo deps-sweep deps-board deps-cross build demo test test-regrtest-all test-packages test-cross board targets bench bench-quick \
        bench-analyzer bench-alloc bench-early bench-imports bench-instructions bench-spikes size-mix format lint clean

all: build

deps:
	scripts/debian-packages $(PACKAGES_BUILD)

deps-test: deps deps-board
	scripts/debian-packages $(PACKAGES_TEST) $(PACKAGES_DEMO)

deps-board: deps
	scripts/debian-packages $(PACKAGES_BOARD)

deps-cross: deps-board
	scripts/debian-packages $(PACKAGES_CROSS)

deps-demo: deps
	scripts/debian-packages $(PACKAGES_DEMO)

deps-sweep: deps
	scripts/debian-packages $(PACKAGES_SWEEP)

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DSHRINKPY_PYTHON=$(PYTHON) $(CMAKE_FLAGS)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

# Measured without PYTHONDONTWRITEBYTECODE: without bytecode caches every import compiles from
# source, which is not what a user's machine does (research/trimmed-build.md, section 0).
demo: deps-demo build
	env -u PYTHONDONTWRITEBYTECODE $(DEV_ENV) $(PYTHON) -m shrinkpy run --compare benchmarks/workloads/sensor_pipeline.py

test: deps-test build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -LE 'slow|cross'
	$(DEV_ENV) $(PYTHON) -m pytest -c tests/pytest.ini tests/python

# CPython's whole regression suite against python3.11, every lever on (about 45 minutes; README: Tests).
test-regrtest-all: deps-test build
	cd tests/python && env -u PYTHONDONTWRITEBYTECODE $(DEV_ENV) $(PYTHON) regrtest_sweep.py

# Debian's Python libraries' own test suites, under python3.11 and under shrinkpython (README: Tests).
test-packages: deps-test deps-sweep build
	cd tests/python && env -u PYTHONDONTWRITEBYTECODE $(DEV_ENV) $(PYTHON) package_sweep.py

# The aarch64 board (rpi5) built and its smoke suite run under qemu-aarch64 (README: Boards).
test-cross: deps-cross deps-test build
	cd $(BUILD) && ctest --output-on-failure -L cross

# The trimmed interpreter for BOARD (default host) into dist/$(BOARD)/.
board: deps-board build
	$(DEV_ENV) $(PYTHON) -m shrinkpy build --board $(BOARD)

# Issue 7's targets for the host board against python3.11, rewriting README.md's targets section.
targets: deps-demo
	$(MAKE) board BOARD=host
	env -u PYTHONDONTWRITEBYTECODE $(DEV_ENV) $(PYTHON) -m shrinkpy targets --readme README.md

# The whole matrix (about 6 minutes here, after the trimmed host interpreter's build when it is
# missing: 3 minutes), rewriting README.md's results section.
bench: deps-demo build
	$(MAKE) board BOARD=host
	env -u PYTHONDONTWRITEBYTECODE $(DEV_ENV) $(PYTHON) -m shrinkpy bench --readme README.md \
	    --json $(BUILD)/bench.json --plot $(BUILD)/bench.png

# The matrix's instructions, one valgrind run per pair (about 6 minutes here): a count that does not move
# between runs, for differences this machine's wall times hide; rewrites README.md's bench-instructions section.
bench-instructions: deps-demo build
	$(MAKE) board BOARD=host
	env -u PYTHONDONTWRITEBYTECODE $(DEV_ENV) $(PYTHON) -m shrinkpy bench --instructions --readme README.md \
	    --json $(BUILD)/bench-instructions.json

# A two-minute subset: smaller inputs, one run per pair.
bench-quick: deps-demo build
	env -u PYTHONDONTWRITEBYTECODE $(DEV_ENV) $(PYTHON) -m shrinkpy bench --scale 0.5 --repeat 1 \
	    --json $(BUILD)/bench-quick.json --plot $(BUILD)/bench-quick.png

# Early freeing on vs off (same interpreter, same allocator): the temporaries suite's memory and the
# cpu suite's time, rewriting README.md's two early-freeing sections (about 8 minutes here).
bench-early: deps-demo build
	env -u PYTHONDONTWRITEBYTECODE $(DEV_ENV) $(PYTHON) -m shrinkpy bench --suite temporaries --readme README.md \
	    --json $(BUILD)/bench-temporaries.json
	env -u PYTHONDONTWRITEBYTECODE $(DEV_ENV) $(PYTHON) -m shrinkpy bench --suite cpu --repeat 5 --readme README.md \
	    --json $(BUILD)/bench-cpu.json

# Deferred imports (issue 9): every path of the tools in benchmarks/cli/ under shrinkpython with imports
# as written and deferred, alternating; rewrites README.md's bench-imports section.
bench-imports: deps-demo build
	env -u PYTHONDONTWRITEBYTECODE $(DEV_ENV) $(PYTHON) -m shrinkpy bench --suite cli --repeat 9 --readme README.md \
	    --json $(BUILD)/bench-imports.json

# The analyzer over the whole stdlib (decode, CFG, liveness): a benchmark, not a test.
bench-analyzer: build
	$(BUILD)/benchmarks/bench_analyzer

# The arena allocator's benchmark (issue #4), about 4 minutes: the spike workloads under the arena,
# pymalloc (python3.11's, shrinkpython's and pymalloc-indirect), glibc malloc and mimalloc, 9 runs each
# (single rows moved by 10% between runs of 5); prints which targets are met
# and rewrites README.md's bench-spikes section.
bench-spikes: deps-demo build
	env -u PYTHONDONTWRITEBYTECODE $(DEV_ENV) $(PYTHON) -m shrinkpy bench --suite spikes --repeat 9 \
	    --readme README.md --json $(BUILD)/bench-spikes.json

# The arena's allocation throughput against pymalloc, glibc malloc and mimalloc (issue #4's target:
# small-object throughput at least 0.95x pymalloc's), about a minute; rewrites README.md's
# bench-alloc section.
bench-alloc: deps-demo build
	$(DEV_ENV) $(PYTHON) -m shrinkpy.alloc_throughput --binary $(BUILD)/benchmarks/bench_alloc --readme README.md \
	    --json $(BUILD)/bench-alloc.json

# The request sizes bench_alloc replays as its "python mix", recorded from the workloads.
SIZE_MIX_WORKLOADS = json_to_csv text_index log_analyser sensor_pipeline graph_search service_spikes
size-mix: build
	rm -f benchmarks/data/python_size_mix.csv
	for w in $(SIZE_MIX_WORKLOADS); do $(BUILD)/benchmarks/record_size_mix benchmarks/data/python_size_mix.csv \
	    benchmarks/workloads/$$w.py --scale 0.1 > /dev/null || exit 1; done

SOURCES = $(shell git ls-files '*.cpp' '*.hpp')

format:
	clang-format -i $(SOURCES)

# Formatting is checked by `make test` (tests/python/test_style.py); clang-tidy is advisory.
lint: build
	clang-format --dry-run -Werror $(SOURCES)
	clang-tidy -p $(BUILD) --quiet $(filter %.cpp,$(SOURCES))

clean:
	rm -rf $(BUILD)
