# Playback. `make up` runs everything on embedded defaults; `make test` runs every test.
SHELL := /bin/bash
CARGO ?= cargo
LISTEN ?= 127.0.0.1:8080
DATA_DIR ?= data

.PHONY: up build js bench bench-ingest bench-list bench-sessionizer bench-archive bench-readiness bench-player bench-memory bench-cipher test test-with-stack test-rust test-js test-e2e test-e2e-distributed test-hostile test-faults test-helm fuzz lint openapi stack-up stack-down clean

up: ## Build, then run every stage in one process on 127.0.0.1:8080
	./scripts/install-deps
	npm run build
	$(CARGO) build --release -p playback
	./target/release/playback up --listen $(LISTEN) --data-dir $(DATA_DIR)

js: ## Build the recorder bundle and the web UI
	npm run build

# The JS build first: the binary carries web/dist and recorder/dist (playback/build.rs).
build: js
	$(CARGO) build -p playback

lint: ## Formatting, clippy, the committed OpenAPI document and the TypeScript type check
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) test -p playback-query-api --lib openapi::tests
	npm run typecheck

openapi: ## Rewrite web/openapi.json from the query API and web/src/generated/api.ts from it
	PLAYBACK_WRITE_OPENAPI=1 $(CARGO) test -p playback-query-api --lib openapi::tests
	npm run openapi -w web

# Installs what is missing, starts Kafka, ClickHouse and Garage on loopback, runs every test
# against them, and stops them again, pass or fail.
test:
	./scripts/install-deps --browser
	$(MAKE) lint
	$(MAKE) test-helm
	$(MAKE) build
	./scripts/test-stack run -- $(MAKE) test-with-stack
	$(MAKE) fuzz FUZZ_SECONDS=60

# Every test; the real-server tests fail rather than skip when a server is missing, and the
# binary's UI test fails rather than checks the 503 page when the UI was not built in.
test-with-stack:
	PLAYBACK_REQUIRE_REAL_BACKENDS=1 PLAYBACK_REQUIRE_UI=1 PLAYBACK_TEST_CHDB_PYTHON=$$(./scripts/chdb-venv) $(MAKE) test-rust
	$(MAKE) test-js
	PLAYBACK_REQUIRE_REAL_BACKENDS=1 $(MAKE) test-e2e
	$(MAKE) test-e2e-distributed
	$(MAKE) test-hostile
	$(MAKE) test-faults

test-rust:
	$(CARGO) test --workspace

test-js: js
	npm test -w recorder
	npm test -w web
	npm run test:unit -w e2e

test-e2e: build
	npm test -w e2e

# The Chromium demo test again, unchanged, against one process per stage on the test stack.
test-e2e-distributed: build
	PLAYBACK_REQUIRE_REAL_BACKENDS=1 PLAYBACK_E2E_TOPOLOGY=distributed npm run test:demo -w e2e

# The hostile-input corpus under normal traffic, against one process per stage on the test stack.
test-hostile: build
	PLAYBACK_REQUIRE_REAL_BACKENDS=1 PLAYBACK_E2E_TOPOLOGY=distributed npm run test:hostile -w e2e

# Fault scenarios on the test stack (stops and starts its servers), each checked by `playback verify`.
test-faults: build
	PLAYBACK_REQUIRE_REAL_BACKENDS=1 npm run test:faults -w e2e

# Every fuzz target for FUZZ_SECONDS each, after replaying the committed crash inputs. The fuzz
# build is kept under ~/.cache, so that a fresh clone rebuilds only Playback's own crates.
FUZZ_SECONDS ?= 600
PLAYBACK_FUZZ_TARGET_DIR ?= $(HOME)/.cache/playback-fuzz/target
fuzz: ## Fuzz every target for FUZZ_SECONDS (600) each; docs/fuzzing.md
	PLAYBACK_FUZZ_TARGET_DIR=$(PLAYBACK_FUZZ_TARGET_DIR) ./scripts/fuzz $(FUZZ_SECONDS)

test-helm: ## Lint and render the Helm chart and check the manifests (helm from the Go module proxy)
	./helm/tests/run

stack-up: ## Start the test servers and write .stack/env
	./scripts/test-stack up

stack-down:
	./scripts/test-stack down

clean:
	rm -rf target node_modules recorder/dist web/dist e2e/artifacts helm/.bin fuzz/target fuzz/work fuzz/artifacts

# Every benchmark, each figure printed next to a baseline measured in the same run, and the
# ratio (docs/benchmarks.md). Starts the test servers once for all of them.
BENCHES := bench-ingest bench-list bench-sessionizer bench-archive bench-readiness bench-player bench-memory bench-cipher
bench: ## Every benchmark against its baseline (starts the test servers; about 40 min)
	./scripts/install-deps --browser
	npm run build
	$(CARGO) build --release -p playback
	./scripts/test-stack run -- $(MAKE) $(BENCHES)

bench-ingest: ## Gateway to Kafka against a bare Kafka producer (needs the test servers)
	./scripts/test-stack run -- $(CARGO) bench -p playback --bench ingest

bench-list: ## GET /v1/sessions at 1 000 000 sessions on SQLite and ClickHouse against the same SQL on the store
	./scripts/test-stack run -- $(CARGO) bench -p playback --bench list

bench-sessionizer: ## Sessionizer throughput against a bare Kafka consumer
	./scripts/test-stack run -- $(CARGO) bench -p playback --bench sessionizer

bench-archive: ## Archive bytes of a real recording sent at real speed, against gzip -6 and zstd -3 (about 5 min)
	$(CARGO) bench -p playback --bench archive

bench-readiness: build ## Gateway 200 to listed and to playable, p50/p99, embedded then distributed
	node e2e/bench/readiness.mjs embedded
	./scripts/test-stack run -- node e2e/bench/readiness.mjs distributed

bench-player: ## Player first frame, seek and JS heap against rrweb-player with the whole recording (Chromium)
	$(CARGO) build --release -p playback
	npm run build
	PLAYBACK_BIN=$(CURDIR)/target/release/playback node e2e/bench/player.mjs

bench-cipher: ## Embedded warehouse inserts and listings on SQLCipher against plain SQLite, same sessions
	$(CARGO) bench -p playback --bench cipher

bench-memory: ## Query API memory while serving a ~100 MB recording, whole and chunk by chunk
	$(CARGO) bench -p playback --bench recording_memory
