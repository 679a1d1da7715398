# nvmf-chaos — run `make help` for the targets.
SHELL     := /bin/bash
GO        ?= go
BIN       := bin/nvmf-chaos
PKGS      := ./...
STATICCHECK ?= $(shell command -v staticcheck 2>/dev/null || echo $(shell $(GO) env GOPATH)/bin/staticcheck)
DEMO_ADDR ?= 127.0.0.1:4420
DEMO_NQN  ?= nqn.2026-11.io.nvmf-chaos:demo
TEST_TIMEOUT ?= 15m

.PHONY: help build test test-race bench bench-fio lint fmt demo fixtures clean

help: ## Show this help.
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## Build bin/nvmf-chaos (stamped with the git revision reports show).
	$(GO) build -buildvcs=auto -o $(BIN) ./cmd/nvmf-chaos

# The short-form built-in scenarios judge IOPS against their own baseline,
# so they run alone after the rest: sharing 2 cores with other packages'
# tests mid-run skews recovery_time, not the code under test.
SHORT_FORM := ^TestBuiltinsShortForm$$

test: ## Run all tests (root-only tests skip with a reason when not root).
	$(GO) test -count=1 -timeout $(TEST_TIMEOUT) -skip '$(SHORT_FORM)' $(PKGS)
	$(GO) test -count=1 -timeout $(TEST_TIMEOUT) -run '$(SHORT_FORM)' -v ./scenarios

test-race: ## Run all tests under the race detector.
	$(GO) test -race -count=1 -timeout $(TEST_TIMEOUT) $(PKGS)

bench: ## Run the Go benchmarks (IOPS and allocations per I/O).
	$(GO) test -run='^$$' -bench=. -benchtime=2s $(PKGS)

bench-fio: build ## Compare the file backend with fio (io_uring, psync) on one file; installs fio if missing.
	BIN=$(BIN) ./scripts/bench-fio.sh

lint: ## gofmt, go vet and staticcheck.
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(STATICCHECK) $(PKGS)

fmt: ## Format the code.
	gofmt -w $$(git ls-files '*.go')

demo: build ## The main job on the embedded default: run the built-in baseline scenario, then a 5 s bench.
	$(BIN) run baseline --warmup 2s --duration 10s --out nvmf-chaos-results
	@$(BIN) target --listen $(DEMO_ADDR) --nqn $(DEMO_NQN) --malloc 256MiB --log-level warn & pid=$$!; \
	trap 'kill $$pid 2>/dev/null; wait $$pid 2>/dev/null' EXIT; \
	for i in $$(seq 50); do (exec 3<>/dev/tcp/$${DEMO_ADDR%:*}/$${DEMO_ADDR#*:}) 2>/dev/null && break; sleep 0.1; done; \
	$(BIN) bench --target nvme+tcp://$(DEMO_ADDR)/$(DEMO_NQN) --rw randread --bs 4k --iodepth 32 --runtime 5s --time_based

fixtures: ## Re-record the HTML report test fixtures from real short runs (commit the result).
	BIN=$(BIN) ./scripts/htmlreport-fixtures.sh

clean: ## Remove build output.
	rm -rf bin
