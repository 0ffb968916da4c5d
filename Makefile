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

# A host on an embedded nats-server (JetStream on), in the foreground; Ctrl-C stops it gracefully.
run: deps
	$(SWIFT) build --product lattice-host
	$(SWIFT) build --product lattice
	.build/debug/lattice-host start $(ARGS)
