# Thin wrapper over CMake presets. The README's two commands: `make demo`, `make test`.
JOBS   ?= $(shell nproc 2>/dev/null || echo 2)
WERROR := $(if $(CI),ON,OFF)
FTSIM  := build/release/cli/ftsim

.PHONY: all deps release dev demo test bench hashes format clean fuzz memcheck install

all: release

deps:
	@bash scripts/deps.sh

# Build output goes to build/PRESET.log; it is shown only when the build fails.
release dev: deps
	@cmake --preset $@ -DFTSIM_WERROR=$(WERROR) >/dev/null
	@echo "building ($@ preset)..."
	@cmake --build --preset $@ -j $(JOBS) >build/$@.log 2>&1 || { cat build/$@.log; exit 1; }
	@grep -i 'warning' build/$@.log || true

demo: release
	@bash scripts/demo.sh $(FTSIM)

test: dev
	@bash scripts/test.sh dev

bench: release
	@bash scripts/bench.sh build/release/bench

# The kernel example's trace hash under gcc and clang at -O0 and -O2 (all four must agree).
hashes: deps
	@bash scripts/hashes.sh

# libFuzzer harnesses (clang), FUZZ_SECONDS each (default 60); see scripts/fuzz.sh.
fuzz: deps
	@bash scripts/fuzz.sh

# The lecture scenarios under valgrind memcheck: 0 errors and 0 leaks (scripts/memcheck.sh).
memcheck: deps
	@bash scripts/memcheck.sh

# Installs ftsim, ftsim.1, bash completion and the scenarios under PREFIX (/usr/local).
PREFIX ?= /usr/local
install: release
	@cmake --install build/release --prefix "$(PREFIX)"

format:
	@clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	@rm -rf build out
