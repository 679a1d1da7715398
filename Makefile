# nvmf-chaos — run `make help` for the targets.
SHELL     := /bin/bash
GO        ?= go
BIN       := bin/nvmf-chaos
PKGS      := ./...
STATICCHECK ?= $(shell command -v staticcheck 2>/dev/null || echo $(shell $(GO) env GOPATH)/bin/staticcheck)
DEMO_ADDR ?= 127.0.0.1:4420
DEMO_NQN  ?= nqn.2026-11.io.nvmf-chaos:demo
TEST_TIMEOUT ?= 15m

.PHONY: help build test test-race bench bench-target bench-record bench-pause bench-fio bench-spdk bench-scale soak lint fmt demo fixtures clean \
	image k8s-build k8s-up k8s-down k8s-status k8s-logs e2e-k8s

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

BENCH_IOS   ?= 150000x
BENCH_COUNT ?= 3

bench-target: ## The embedded target confined to CPU 0 (GOMAXPROCS=1) vs GOMAXPROCS=2 there, polled host on CPU 1.
	$(GO) test -c -o bin/nvmetcp.test ./internal/nvmetcp
	taskset -c 1 bin/nvmetcp.test -test.run='^$$' -test.bench='^BenchmarkTargetConfined$$' \
		-test.benchtime=$(BENCH_IOS) -test.count=$(BENCH_COUNT)

bench-record: ## Latency recording's overhead on null:// in CPU time (alternated) and in instructions per I/O (callgrind); goal <= 3 %.
	@# One P on one CPU: with two, Ms spinning for work burn CPU time that
	@# varies run to run (the median read -1 to +7 %); pinned, 1-2 %.
	$(GO) test -c -o bin/workloads.test ./workloads
	GOMAXPROCS=1 taskset -c 1 bin/workloads.test -test.run='^$$' -test.bench='^BenchmarkRecordingOverhead$$' \
		-test.benchtime=32000000x -test.count=$(BENCH_COUNT)
	./scripts/bench-record-instr.sh

PAUSE_RUNS ?= 3

bench-pause: ## What a calibrated process-pause of 0.2, 1 and 3 s reads as failover_time (PAUSE_RUNS times each).
	$(GO) test -count=$(PAUSE_RUNS) -run '^TestRunCalibratedPause$$' -v ./scenarios | grep -E 'failover_time|^(ok|FAIL)'

bench-fio: build ## Compare the file backend with fio (io_uring, psync) on one file; installs fio if missing.
	BIN=$(BIN) ./scripts/bench-fio.sh

bench-spdk: build ## Host and target against SPDK's nvmf_tgt and spdk_nvme_perf (SPDK_DIR=...; skips without SPDK).
	BIN=$(BIN) ./scripts/bench-spdk.sh

bench-scale: build ## Bench against the target with N cores each side and N jobs, N = 1 2 4 ... while the CPUs last (SCALE_MODE=shared: same N CPUs).
	BIN=$(BIN) ./scripts/bench-scale.sh

soak: build ## Bench against the embedded target at QD32 for SOAK_DURATION (1h); fails if RSS grows > 10 % past the warm-up.
	BIN=$(BIN) ./scripts/soak.sh

lint: ## gofmt, go vet, staticcheck and shellcheck.
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) vet -tags e2e ./internal/e2e/...
	$(STATICCHECK) $(PKGS)
	$(STATICCHECK) -tags e2e ./internal/e2e/...
	@command -v shellcheck >/dev/null || { echo "lint: shellcheck not found (apt-get install shellcheck)"; exit 1; }
	shellcheck -x -S warning .ci/run $$(git ls-files '*.sh')

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

# --- Kubernetes test cluster (root; see README "Kubernetes test cluster") ---
K8S_CACHE ?= $(or $(NVMF_CHAOS_K8S_CACHE),$(or $(XDG_CACHE_HOME),$(HOME)/.cache)/nvmf-chaos/k8s)
NODES     ?= 1
# CHAOS_MESH=1: build Chaos Mesh's controller manager too and run it in the
# cluster (CRDs, webhooks, leader election; no chaos-daemon).
CHAOS_MESH ?= 0
IMAGE_TAG ?= nvmf-chaos:dev
IMAGE_TAR := bin/nvmf-chaos-image.tar
PAUSE_TAR := bin/pause-image.tar
TESTCLUSTER := bin/testcluster --cache $(K8S_CACHE)
E2E_TIMEOUT ?= 30m

image: ## Build the nvmf-chaos and pause images as tarballs in bin/ (no Docker).
	CGO_ENABLED=0 $(GO) build -buildvcs=auto -o bin/image/nvmf-chaos ./cmd/nvmf-chaos
	CGO_ENABLED=0 $(GO) build -o bin/image/pause ./cmd/pause
	bin/image/nvmf-chaos image build --binary bin/image/nvmf-chaos --tag $(IMAGE_TAG) -o $(IMAGE_TAR)
	bin/image/nvmf-chaos image build --binary bin/image/pause --tag nvmf-chaos/pause:3.10 -o $(PAUSE_TAR)

k8s-build: ## Build Kubernetes, etcd, containerd and runc (and Chaos Mesh with CHAOS_MESH=1) into K8S_CACHE (once; seconds when cached).
	NVMF_CHAOS_K8S_CACHE=$(K8S_CACHE) CHAOS_MESH=$(CHAOS_MESH) ./scripts/k8s/build.sh

bin/testcluster: $(shell git ls-files 'internal/testcluster/*.go' 'cmd/testcluster/*.go' 2>/dev/null)
	$(GO) build -o bin/testcluster ./cmd/testcluster

k8s-up: k8s-build image bin/testcluster ## Start the test cluster (NODES=1..8, CHAOS_MESH=1) and print its kubeconfig; a no-op if up.
	$(TESTCLUSTER) up --nodes $(NODES) --image $(PAUSE_TAR) --image $(IMAGE_TAR) --probe-image $(IMAGE_TAG) $(if $(filter 1,$(CHAOS_MESH)),--chaos-mesh)

k8s-down: bin/testcluster ## Stop the test cluster; fails if the machine is not as k8s-up found it.
	$(TESTCLUSTER) down

k8s-status: bin/testcluster ## Show the test cluster's components and nodes; fails if one died.
	$(TESTCLUSTER) status

k8s-logs: bin/testcluster ## Follow the test cluster's component logs.
	$(TESTCLUSTER) logs

e2e-k8s: build bin/testcluster ## Run the end-to-end suite against the test cluster (make k8s-up first).
	KUBECONFIG=$$($(TESTCLUSTER) kubeconfig) NVMF_CHAOS_BIN=$(abspath $(BIN)) $(GO) test -tags e2e -count=1 -timeout $(E2E_TIMEOUT) -v ./internal/e2e/...

clean: ## Remove build output.
	rm -rf bin
