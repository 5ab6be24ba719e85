# Thin wrapper over CMake presets. The README's two commands: `make demo`, `make test`.
JOBS   ?= $(shell nproc 2>/dev/null || echo 2)
WERROR := $(if $(CI),ON,OFF)
FTSIM  := build/release/cli/ftsim

.PHONY: all deps release dev demo test bench hashes format clean

all: release

deps:
	@bash scripts/deps.sh

release: deps
	@cmake --preset release -DFTSIM_WERROR=$(WERROR) >/dev/null
	@cmake --build --preset release -j $(JOBS)

dev: deps
	@cmake --preset dev -DFTSIM_WERROR=$(WERROR) >/dev/null
	@cmake --build --preset dev -j $(JOBS)

demo: release
	@bash scripts/demo.sh $(FTSIM)

test: dev
	@bash scripts/test.sh dev

bench: release
	@bash scripts/bench.sh build/release/bench

# The kernel example's trace hash under gcc and clang at -O0 and -O2 (all four must agree).
hashes: deps
	@bash scripts/hashes.sh

format:
	@clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	@rm -rf build out
