# VMS — make targets. `make run` and `make test` are the two that matter.
SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(PATH)
GO ?= go
BIN := bin/vms
VMS_ADMIN ?= admin@vms.local
# Packages whose tests need real external parts (PostgreSQL, Chromium,
# Asterisk, SIPp) are included: under CI=true a missing part fails the run.
TEST_FLAGS ?= -race -count=1 -timeout 20m

.PHONY: all build run call test test-short bench lint fmt clean deps-test

all: build

build:
	$(GO) build -o $(BIN) ./cmd/vms

## run: the portal on the embedded SQLite database in ./var, with a first
## operator admin whose one-time login link is printed at start, a demo
## customer with a number and a routing tree, and — when this machine can
## run it (root, and the Asterisk root of test/asterisk/install.sh) — a
## local Asterisk that VMS routes calls for. `make call` places a test call.
run: build
	@set -a; \
	if lab_env=$$(bash test/asterisk/lab.sh start); then eval "$$lab_env"; \
	  trap 'bash test/asterisk/lab.sh stop' EXIT; \
	  echo "Local Asterisk is up: place a test call with 'make call' (in another terminal)."; fi; \
	VMS_BOOTSTRAP_ADMIN=$(VMS_ADMIN) VMS_DEMO=true VMS_MAILIN_LISTEN=$${VMS_MAILIN_LISTEN:-127.0.0.1:2525} ./$(BIN) serve

## call: a test call from SIPp to the demo number through the local Asterisk.
call:
	@bash test/asterisk/lab.sh call $(NUMBER)

## test: the whole suite, as CI runs it (see .ci/run for the set-up).
test:
	$(GO) vet ./...
	$(GO) vet -tags bench ./test/bench/
	$(GO) test $(TEST_FLAGS) ./...

## test-short: pure unit tests only (no external parts).
test-short:
	$(GO) test -short -count=1 ./...

## bench: the benchmarks of the hot paths, each against its baseline.
bench:
	$(GO) test -run='^$$' -bench=. -benchmem ./...

lint:
	@fmt_out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$fmt_out" ]; then echo "gofmt needed:"; echo "$$fmt_out"; exit 1; fi
	$(GO) vet ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

## deps-test: install what the tests need (root; Debian).
deps-test:
	bash .ci/install-deps

clean:
	rm -rf bin

## bench-calls: the call-load bench through a real Asterisk (root, the
## Asterisk root of test/asterisk/install.sh, SIPp): the same SIPp load
## through the plain dialplan and through VMS's ARI path, each rate held
## VMS_BENCH_HOLD (60s). See docs/performance.md.
.PHONY: bench-calls
bench-calls:
	VMS_BENCH_HOLD=$${VMS_BENCH_HOLD:-60s} test/asterisk/bench.sh
