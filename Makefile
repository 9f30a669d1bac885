# meetline: `make run` to try it, `make test` to prove it. Both set up what they
# need on a fresh Debian machine (deploy/local installs and starts the services).
SHELL := /bin/bash
.DEFAULT_GOAL := help
ENV := source .run/env &&

.PHONY: help run up down test bench build generate lint check-generated

help: ## List the targets.
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

run: build ## Start everything on loopback; core and sipgate in the foreground (Ctrl-C stops them).
	deploy/local/up.sh
	deploy/local/apps.sh --foreground

up: build ## Start everything on loopback in the background, for scripts.
	deploy/local/up.sh
	deploy/local/apps.sh

down: ## Stop everything `make up` or `make run` started.
	deploy/local/down.sh

test: ## Start the services, then run every test with the race detector.
	deploy/local/up.sh
	$(ENV) go test -race -count=1 ./...

bench: ## Start the services, then run every benchmark.
	deploy/local/up.sh
	$(ENV) go test -run '^$$' -bench . -benchmem ./...

build: ## Build bin/core, bin/sipgate and bin/lksip-standin.
	go build -o bin/ ./core/cmd/core ./sipgate/cmd/sipgate ./sipgate/cmd/lksip-standin

generate: ## Regenerate the Go code of rpc/ from its .proto files.
	go tool buf generate

lint: ## buf lint, gofmt, go vet and staticcheck.
	go tool buf lint
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [[ -n $$out ]]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	go vet ./...
	go tool staticcheck ./...

check-generated: generate ## Fail when the committed generated code is stale.
	@git diff --exit-code -- rpc || { echo "rpc/ is stale: run make generate and commit"; exit 1; }
	@test -z "$$(git status --porcelain -- rpc)" || { git status --porcelain -- rpc; echo "rpc/ has uncommitted generated files"; exit 1; }
