# The lattice host image for `docker compose up --build` (docker-compose.yml).
# Build stage: the Swift toolchain plus the C libraries the host links (cnats, libsodium, libcrypto, zlib).
FROM swift:6.3-bookworm AS build
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libnats-dev libsodium-dev \
        libssl-dev pkg-config zlib1g-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources Sources
COPY Tests Tests
RUN mkdir -p /out/bin \
    && for product in lattice-host lattice httpserver-provider keyvalue-provider test-provider; do \
        swift build -c release --static-swift-stdlib --product "$product" \
        && cp ".build/release/$product" /out/bin/ || exit 1; \
    done
# The demo service signs the example actor and packs the provider itself, then pushes them to the registry:
# the image carries the unsigned example modules and the executables, no signed artifact.
COPY actors actors
COPY deploy deploy
RUN install -m 0755 deploy/lattice-demo /out/bin/lattice-demo \
    && mkdir -p /out/actors && cp actors/*.wasm /out/actors/

# Runtime: Debian slim with the shared C libraries, nats-server for the compose file's NATS nodes, tini as
# init (it forwards SIGTERM, so `docker stop` is a graceful host stop), and procps for `ps` inside.
FROM debian:bookworm-slim
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libnats3.4 libsodium23 libssl3 zlib1g \
        nats-server tini procps wget \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/bin /opt/lattice/bin
COPY --from=build /out/actors /opt/lattice/actors
# The least-privilege NATS configuration the compose file's nodes run (deploy/nats/README.md).
COPY deploy/nats /opt/lattice/nats
ENV PATH=/opt/lattice/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    LATTICE_CACHE_DIR=/tmp/latticecache
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["lattice-host", "start"]
