# dagctl — see README.md. `make demo` shows it working, `make test` runs every test.
SHELL    := /bin/bash
GO       ?= go
BIN      ?= bin/dagctl
PKG      := github.com/dagctl/dagctl
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT   ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo none)
DATE     ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
LDFLAGS  := -s -w -X $(PKG)/internal/buildinfo.Version=$(VERSION) -X $(PKG)/internal/buildinfo.Commit=$(COMMIT) -X $(PKG)/internal/buildinfo.Date=$(DATE)
export CGO_ENABLED := 0
export PATH := $(PATH):/usr/local/go/bin

.PHONY: build test cross unit lint bench docs demo snapshot release-check install-check fuzz clean

build:
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/dagctl

# go vet plus every test, unit and integration (real PostgreSQL, MariaDB and SQLite), plus a short fuzz run.
test:
	$(GO) vet ./...
	$(MAKE) --no-print-directory cross
	$(GO) test -count=1 -timeout 25m ./...
	$(MAKE) --no-print-directory fuzz

# A few seconds of each fuzz target (the seeds also run in `go test`). A failure
# is run once more: a real finding was saved under testdata/fuzz and fails
# again deterministically; a fuzzing-engine hiccup on a loaded machine does not.
FUZZTIME ?= 3s
fuzz:
	@for t in $$($(GO) list ./pkg/...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$t 2>/dev/null | grep '^Fuzz'); do \
	    echo "fuzz $$t $$f"; \
	    out=$$($(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$t 2>&1) || { \
	      echo "$$out" | tail -20; echo "fuzz $$t $$f: failed, running it again"; \
	      $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$t 2>&1 | tail -20; \
	      test $${PIPESTATUS[0]} -eq 0 || exit 1; }; \
	  done; \
	done

# The release targets other than this machine's must build too (a Unix-only
# call once broke windows).
cross:
	GOOS=windows GOARCH=amd64 $(GO) build -o /dev/null ./cmd/dagctl
	GOOS=darwin GOARCH=arm64 $(GO) build -o /dev/null ./cmd/dagctl

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt: $$out"; exit 1; fi
	$(GO) vet ./...

# Big-database benchmarks (internal/bench, DAGCTL_BENCH=1): a markdown table of every figure
# against its target; docs/benchmarks.md keeps the last one.
bench:
	./scripts/bench.sh

# The command reference and man pages, from cmd/gen-docs (the dagctl binary does not link the
# man-page renderer).
docs:
	$(GO) run ./cmd/gen-docs --markdown docs/commands --man docs/man

demo: build
	./scripts/demo.sh $(BIN)

# goreleaser, pinned in tools/go.mod (a module of its own: the product's go.mod stays free of its
# dependencies) and built from source through the Go module proxy on first use: several minutes
# the first time, then cached by the go command.
GORELEASER ?= $(GO) tool -modfile=tools/go.mod goreleaser

# A snapshot release into dist/, publishing nothing.
snapshot:
	$(GORELEASER) release --snapshot --clean

# goreleaser check, a snapshot release into dist/, then checks of the archives, the .deb and .rpm,
# and of go install (scripts/release-check.sh). Takes minutes; not part of make test.
release-check:
	GO="$(GO)" GORELEASER="$(GORELEASER)" ./scripts/release-check.sh

# go install from a clean clone, and of the module through a module proxy on disk.
install-check:
	GO="$(GO)" ./scripts/install-check.sh

clean:
	rm -rf bin dist .demo .release
