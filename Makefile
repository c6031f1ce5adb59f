# Stykovka — the two commands a new user needs are `make run` and `make test`.
GO      ?= go
DATA    ?= ./var
ADDR    ?= 127.0.0.1:8080
# CLOCK_SPEED=10 runs the hub's and the simulators' clocks ten times faster (SEP's minute in 6 s).
CLOCK_SPEED ?= 1
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/stykovka/stykovka/facade.Version=$(VERSION)
# Go's test timeout; CI gives 90 minutes, we aim for well under 15.
TEST_TIMEOUT ?= 15m

.PHONY: run test test-deps lint bench fuzz build bridge stykovka clean

## run: build and start the hub locally with the embedded store, simulators and the demo tenant
run: stykovka
	./bin/stykovka serve --demo --addr $(ADDR) --data $(DATA) --clock-speed $(CLOCK_SPEED)

stykovka:
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/stykovka ./cmd/stykovka

## test: install what the tests need (pinned) and run every test, linter and template check
test: test-deps lint
	$(GO) test -count=1 -timeout $(TEST_TIMEOUT) ./...
	scripts/check-template.sh

## test-deps: pinned npm tools (infra/package-lock.json) and Debian packages the tests drive
test-deps:
	scripts/install-test-deps.sh

lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './infra/*')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...

## bench: Go benchmarks of the store adapters and the facade (figures go into README.md)
bench: test-deps
	$(GO) test -run '^$$' -bench . -benchmem -count=1 -timeout 30m ./...

## fuzz: run every fuzz target for FUZZTIME each (their seed corpora also run in `make test`)
FUZZTIME ?= 30s
fuzz:
	FUZZTIME=$(FUZZTIME) scripts/fuzz.sh

## build: one arm64 Lambda zip per function in build/
build:
	scripts/build-lambdas.sh

## bridge: the on-prem scanner bridge for Windows and Linux (static, amd64) in build/bridge/
bridge:
	scripts/build-bridge.sh

clean:
	rm -rf bin build
