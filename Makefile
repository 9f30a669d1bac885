# meetline: `make run` to try it, `make test` to prove it. Both set up what they
# need on a fresh Debian machine (deploy/local installs and starts the services).
SHELL := /bin/bash
.DEFAULT_GOAL := help
ENV := source $${MEETLINE_RUN:-.run}/env &&

.PHONY: help run up down test bench scaleout-test build generate lint check-generated web web-deps

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

scaleout-test: build ## Kamailio before two sipgates; calls go on while one drains and one is killed (about 90 s).
	deploy/local/up.sh
	deploy/local/scaleout.sh

.PHONY: loadtest
loadtest: LOADTEST_START := $(shell date +%s)
loadtest: up ## Start everything, then load sipgate with simulated callers (about 3 min): loadtest/out/report.md.
	go build -o bin/loadtest ./loadtest/cmd/loadtest
	$(ENV) bin/loadtest -start $(LOADTEST_START)

.PHONY: chaos
chaos: up ## Start everything, then kill and restart each service in turn under calls (≤ 10 min): loadtest/out/chaos.md.
	go build -o bin/chaos ./loadtest/cmd/chaos
	$(ENV) bin/chaos

build: ## Build bin/core, bin/sipgate, bin/lksip-standin and bin/scaleout-report.
	go build -o bin/ ./core/cmd/core ./sipgate/cmd/sipgate ./sipgate/cmd/lksip-standin ./loadtest/cmd/scaleout-report

generate: web-deps ## Regenerate rpc/ (Go) and core/web/src/gen (TypeScript) from the .proto files.
	go tool buf generate

web-deps: ## Install core/web's npm packages (npm ci) unless they are current.
	core/web/deps.sh

web: web-deps ## Type-check and build the web console into core/web/dist (committed, embedded in bin/core).
	cd core/web && node_modules/.bin/tsc --noEmit && node build.mjs

lint: ## buf lint, gofmt, go vet and staticcheck.
	go tool buf lint
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [[ -n $$out ]]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	go vet ./...
	go tool staticcheck ./...

GENERATED := rpc core/web/src/gen core/web/dist
check-generated: generate web ## Fail when the committed generated code or the console's build is stale.
	@git diff --exit-code -- $(GENERATED) || { echo "generated code is stale: run make generate web and commit"; exit 1; }
	@test -z "$$(git status --porcelain -- $(GENERATED))" || { git status --porcelain -- $(GENERATED); echo "uncommitted generated files: run make generate web and commit"; exit 1; }
