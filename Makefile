# make build      binaries in bin/ and one bin/APP.so per mrapps/APP/
# make build RACE=1   the same with the race detector (binaries and plugins must match)
# make run        a word count over testdata/ with a coordinator and three workers
# make test       vet, go test -race, then test-mr.sh
GO ?= go
BIN := bin
APPS := $(notdir $(wildcard mrapps/*))

ifeq ($(RACE),1)
BUILDFLAGS := -race
endif

.PHONY: all build binaries plugins run test vet unit e2e bench clean

all: build

build: binaries plugins

binaries:
	@mkdir -p $(BIN)
	$(GO) build $(BUILDFLAGS) -o $(BIN)/ ./cmd/...

plugins: $(APPS:%=plugin-%)

plugin-%:
	@mkdir -p $(BIN)
	$(GO) build $(BUILDFLAGS) -buildmode=plugin -o $(BIN)/$*.so ./mrapps/$*

vet:
	@test -z "$$(gofmt -l cmd mr mrapps)" || { echo "gofmt needed:"; gofmt -l cmd mr mrapps; exit 1; }
	$(GO) vet ./...

unit:
	$(GO) test -race ./...

e2e:
	RACE=$(RACE) ./test-mr.sh

test: vet unit e2e

clean:
	rm -rf $(BIN)
