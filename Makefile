# The two entry points a newcomer needs: `make run` and `make test`. Both install what is missing.
SWIFT ?= swift
.PHONY: deps test build lint format run

deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --no-parallel

lint:
	$(SWIFT) format lint --strict -r Sources Tests Package.swift

format:
	$(SWIFT) format --in-place -r Sources Tests Package.swift

# The demo: a host on an embedded nats-server, the hello actor and the httpserver provider on DEMO_PORT
# (default 8080). It prints what to curl; Ctrl-C stops everything.
run: deps
	@scripts/run-demo.sh
