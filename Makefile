# Cadre: `make run` serves the app with its own PostgreSQL; `make test` runs every check CI runs.
SHELL   := /bin/bash
GO      ?= go
BIN     := bin/cadre
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
GOFILES_DIRS := cmd internal migrations web referentiel

.PHONY: run build bench test go-test generate check-generated lint fmt fmt-check tidy-check npm-ci clean

## run: build, add the demo data to an empty database, then serve on CADRE_ADDR (default 127.0.0.1:8080)
## with the embedded PostgreSQL unless DATABASE_URL is set
run: build
	@[ -n "$$DATABASE_URL" ] || .ci/ensure-deps postgres
	@if [ "$$CADRE_ENV" != production ]; then ./$(BIN) seed demo --if-empty; fi
	./$(BIN) serve

## build: compile bin/cadre
build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/cadre

## bench: build, seed the national dataset into its own cluster (var/bench, or DATABASE_URL) if empty,
## serve it, measure every scenario, print the Markdown table and write bench.json (not part of make test)
BENCH_DIR   ?= var/bench
BENCH_FLAGS ?=
bench: build
	@[ -n "$$DATABASE_URL" ] || .ci/ensure-deps postgres
	CADRE_DATA_DIR=$(BENCH_DIR) ./$(BIN) bench --json bench.json $(BENCH_FLAGS)

## test: generated files current, gofmt, then go vet, staticcheck and every test with -race (browser tests
## included), the lint beside the tests
test: check-generated fmt-check npm-ci
	@[ -n "$$TEST_DATABASE_URL" ] || .ci/ensure-deps postgres
	.ci/ensure-deps chromium
	@$(MAKE) --no-print-directory -j2 --output-sync=target lint go-test

# The tests' temporary files (clusters, t.TempDir, the go command's builds) go to
# memory when /dev/shm has 2 GiB free and TMPDIR is unset: on a shared virtual
# disk, copying a test database took 20 times longer.
TEST_TMPDIR ?= $(shell if [ -n "$$TMPDIR" ]; then echo "$$TMPDIR"; \
	elif [ -d /dev/shm ] && [ "$$(df -Pk /dev/shm | awk 'NR==2 {print $$4}')" -ge 2097152 ]; then echo /dev/shm; \
	else echo /tmp; fi)

# go-test: every test with -race. go test's own vet pass is off: lint runs go vet
# ./..., every analyzer on every package and its tests, beside it.
go-test:
	TMPDIR=$(TEST_TMPDIR) $(GO) test -race -count=1 -vet=off ./...

## generate: regenerate the templ components (*_templ.go, committed)
generate:
	$(GO) tool templ generate -log-level error

# Regenerates the templ components and fails if that changed anything, so stale
# generated files never pass.
check-generated:
	@sum() { find . -name '*_templ.go' -not -path './node_modules/*' | sort | xargs -r cat | sha256sum; }; \
	before=$$(sum); $(GO) tool templ generate -log-level error; after=$$(sum); \
	if [ "$$before" != "$$after" ]; then echo "generated *_templ.go files were stale: regenerated now, review and commit them" >&2; exit 1; fi

## lint: go vet, staticcheck, go.mod tidiness
lint: tidy-check
	$(GO) vet ./...
	$(GO) tool staticcheck ./...

tidy-check:
	@$(GO) mod tidy -diff >/dev/null || { echo "go.mod/go.sum are not tidy: run go mod tidy" >&2; exit 1; }

## fmt: format the Go code
fmt:
	gofmt -w $(GOFILES_DIRS)

fmt-check:
	@out=$$(gofmt -l $(GOFILES_DIRS)); if [ -n "$$out" ]; then echo "gofmt would change: $$out (run make fmt)" >&2; exit 1; fi

# axe-core for the browser tests, from the committed lockfile.
npm-ci:
	@.ci/ensure-deps npm
	cd internal/browsertest && npm ci --no-audit --no-fund --loglevel=error

clean:
	rm -rf bin
