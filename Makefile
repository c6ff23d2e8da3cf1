# make build      binaries in bin/ and one bin/APP.so per mrapps/APP/
# make build RACE=1   the same with the race detector (binaries and plugins must match)
# make run        a word count over testdata/ with a coordinator and three workers
# make test       gofmt and vet, go test -race ./..., then test-mr.sh (what CI runs)
# make soak       the crash test 20 times in a row
# make bench      the benchmarks (docs/PERFORMANCE.md); not part of make test
# make s3server   the S3 test server (versitygw, pinned) into bin/tools/; make test needs it
GO ?= go
BIN := bin
APPS := $(notdir $(wildcard mrapps/*))

ifeq ($(RACE),1)
BUILDFLAGS := -race
endif

.PHONY: all build binaries plugins run test vet unit e2e soak bench bench-sort bench-scale clean s3server

all: build

build: binaries plugins

binaries:
	@mkdir -p $(BIN)
	$(GO) build $(BUILDFLAGS) -o $(BIN)/ ./cmd/... ./examples/streaming/wcstream

plugins: $(APPS:%=plugin-%)

plugin-%:
	@mkdir -p $(BIN)
	$(GO) build $(BUILDFLAGS) -buildmode=plugin -o $(BIN)/$*.so ./mrapps/$*

# run: a word count over testdata/ with a coordinator and three workers in
# $(RUN_DIR)/, then the ten most frequent words. Workers may start before
# the coordinator listens: they retry until it answers.
RUN_DIR := mr-run
run: build
	@rm -rf $(RUN_DIR) && mkdir -p $(RUN_DIR)
	@set -e; cd $(RUN_DIR); \
	sock_dir=$$(mktemp -d); export MR_ADDR="$$sock_dir/mr.sock"; \
	../$(BIN)/mrcoordinator ../testdata/pg-*.txt 2>coordinator.log & coord=$$!; \
	for i in 1 2 3; do ../$(BIN)/mrworker ../$(BIN)/wc.so 2>worker-$$i.log & done; \
	status=0; wait $$coord || status=$$?; wait; rm -rf "$$sock_dir"; \
	if [ $$status -ne 0 ]; then echo "job failed; see $(RUN_DIR)/coordinator.log:"; tail -5 coordinator.log; exit 1; fi; \
	echo "Word count of testdata/pg-*.txt done: output in $(RUN_DIR)/mr-out-*, logs in $(RUN_DIR)/*.log"; \
	echo "Ten most frequent words:"; cat mr-out-* | sort -k2,2nr -k1,1 | head -10

GOFMT_DIRS := cmd mr mrapps testdata/plugins
vet:
	@test -z "$$(gofmt -l $(GOFMT_DIRS))" || { echo "gofmt needed:"; gofmt -l $(GOFMT_DIRS); exit 1; }
	$(GO) vet ./...

# s3server: versitygw (Apache-2.0) from the Go module proxy at a pinned
# version, for the tests of mr/s3 (mr/s3/s3test starts it). Installed
# once; delete bin/tools/versitygw to reinstall.
VERSITYGW_VERSION := v1.8.0
TOOLS := $(BIN)/tools
s3server: $(TOOLS)/versitygw
$(TOOLS)/versitygw:
	@mkdir -p $(TOOLS)
	GOBIN=$(abspath $(TOOLS)) $(GO) install github.com/versity/versitygw/cmd/versitygw@$(VERSITYGW_VERSION)

unit: s3server
	$(GO) test -race ./...

e2e:
	RACE=$(RACE) ./test-mr.sh

test: vet unit e2e

# soak: the crash test, SOAK_RUNS times in a row (not part of make test).
SOAK_RUNS ?= 20
soak: build
	@for i in $$(seq $(SOAK_RUNS)); do \
	  out=$$(RACE=$(RACE) ./test-mr.sh crash); status=$$?; \
	  printf 'run %d: %s\n' $$i "$$(echo "$$out" | head -1)"; \
	  [ $$status -eq 0 ] || { echo "$$out"; exit 1; }; \
	done

# bench: the no-framework baseline vs mrsequential vs coordinator + workers
# (wc with and without the combiner, the lab-style labwc) on a generated
# 256 MiB corpus, the scheduling rate for 2,000 tiny inputs, the same word
# counts on 256 MiB of real text (testdata's books' lines), then the Go
# micro-benchmarks (hot paths, new-file cost, the coordinator at
# M=100,000, the streaming pipes, the S3 client against the local
# server), the same word count as Python streaming commands, and a word
# count with inputs and outputs in the local S3 server against the same on
# local files (BenchmarkBucketWordCount, the ratio). Not part of make test.
# Quick run: make bench BENCH_FLAGS='-size 16MiB -files 8 -tiny 200'
# Then the sort benchmark (make bench-sort): 1 GiB of gensort records,
# uniform and Zipf keys, GNU sort against coordinator + 2 workers with
# -total-order; the 4 GiB run: make bench-sort SORT_FLAGS='-size 4GiB'.
# Last the coordinator at scale (make bench-scale): the real mrcoordinator
# against 100, 1,000 and 10,000 simulated workers over authenticated TCP,
# M=1,000,000 map tasks and R=1,000 reduce tasks that do no work (one
# connection per worker at 10,000, for the descriptor limit).
BENCH_FLAGS ?=
SORT_FLAGS ?=
SCALE_FLAGS ?= -maps 1000000 -nreduce 1000
bench: build s3server
	$(BIN)/mrbench run -bin $(BIN) $(BENCH_FLAGS)
	$(BIN)/mrbench run -bin $(BIN) -kind text -skip sequential,tiny $(BENCH_FLAGS)
	$(BIN)/mrbench sort -bin $(BIN) $(SORT_FLAGS)
	$(GO) test -run '^$$' -bench . -benchtime 1x ./mr/coordinator
	$(GO) test -run '^$$' -bench . ./mr/ifile ./mr/merge ./mr/worker ./mr/bench/baseline ./mr/atomicfile ./mr/streaming ./mr/s3
	$(GO) test -run '^$$' -bench BucketWordCount -benchtime 3x ./mr/e2e
	$(MAKE) bench-scale

bench-sort: build
	$(BIN)/mrbench sort -bin $(BIN) $(SORT_FLAGS)

bench-scale: build
	$(BIN)/mrbench scale -coordinator $(BIN)/mrcoordinator -workers 100 $(SCALE_FLAGS)
	$(BIN)/mrbench scale -coordinator $(BIN)/mrcoordinator -workers 1000 $(SCALE_FLAGS)
	$(BIN)/mrbench scale -coordinator $(BIN)/mrcoordinator -workers 10000 -conns 1 $(SCALE_FLAGS)

clean:
	rm -rf $(BIN) $(RUN_DIR)
