# The one Playback image: the `playback` binary, which carries the web UI, the recorder bundle
# and the demo site (built into it from web/dist, recorder/dist and demo/).
# Every stage runs from it with a different argument (`playback gateway`, `playback
# sessionizer`, ...), which is what helm/playback deploys.
#
#   docker build -t playback:0.1.0 .
#   docker run --rm -p 8080:8080 playback:0.1.0 up --listen 0.0.0.0:8080   # embedded, for a try
#
# The runtime image runs as uid/gid 10001 and writes nothing outside /tmp and its data volume,
# so it runs with a read-only root filesystem.

ARG RUST_VERSION=1.95
ARG NODE_VERSION=20
ARG DEBIAN_RELEASE=bookworm

# --- Node: recorder/dist and web/dist --------------------------------------------------------
FROM node:${NODE_VERSION}-${DEBIAN_RELEASE}-slim AS js-build
WORKDIR /src
# Every workspace's manifest, so that `npm ci` sees the same tree as package-lock.json.
COPY package.json package-lock.json ./
COPY recorder/package.json recorder/package.json
COPY web/package.json web/package.json
COPY e2e/package.json e2e/package.json
RUN --mount=type=cache,target=/root/.npm,sharing=locked npm ci --no-audit --no-fund
COPY recorder recorder
COPY web web
RUN npm run build \
 && test -s recorder/dist/recorder.js \
 && test -s web/dist/index.html

# --- Rust: the binary ------------------------------------------------------------------------
FROM rust:${RUST_VERSION}-${DEBIAN_RELEASE} AS rust-build
# librdkafka is compiled from source by rdkafka-sys (configure + make); libssl-dev and
# zlib1g-dev are there for its TLS/SASL and compression when those features are on.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential pkg-config libssl-dev zlib1g-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# The whole workspace (see .dockerignore): manifests, the lock file and every member crate.
COPY Cargo.toml Cargo.lock ./
COPY schemas schemas
COPY adapters adapters
COPY stages stages
COPY playback playback
# What the binary carries (playback/src/ui.rs): the JS build's output and the demo site. Without
# them it would still build, but answer 503 at / and /recorder.js.
COPY --from=js-build /src/web/dist web/dist
COPY --from=js-build /src/recorder/dist recorder/dist
COPY demo demo
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/src/target,sharing=locked \
    cargo build --release -p playback --locked \
 && install -D -m 0755 target/release/playback /out/playback

# --- Runtime ---------------------------------------------------------------------------------
FROM debian:${DEBIAN_RELEASE}-slim AS runtime
# ca-certificates: HTTPS to S3 and ClickHouse, TLS to Kafka. libssl3 and zlib1g: librdkafka's
# shared dependencies. tini: PID 1, so that SIGTERM reaches the binary and zombies are reaped.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates libssl3 zlib1g tini \
 && rm -rf /var/lib/apt/lists/*

# The binary carries the web UI, the recorder bundle and the demo site, so the image holds
# nothing else; /app is the working directory, where `playback up` keeps ./data.
WORKDIR /app
COPY --from=rust-build /out/playback /usr/local/bin/playback
# `playback up` keeps its embedded log, warehouse and blobs in ./data (/app/data): a volume,
# owned by the runtime user. The server-backed stages write nothing to disk.
RUN mkdir -p /app/data && chown 10001:10001 /app/data
VOLUME ["/app/data"]

ENV PLAYBACK_LOG=info \
    HOME=/tmp
USER 10001:10001
# 8080 `playback up`, 8081 gateway, 8082 query-api, 9464 admin (/healthz /readyz /metrics) of
# the consumer stages.
EXPOSE 8080 8081 8082 9464
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/playback"]
CMD ["--help"]

LABEL org.opencontainers.image.title="playback" \
      org.opencontainers.image.description="Self-hosted session replay: gateway, sessionizer, scorer, archiver, asset stage, query API and web UI" \
      org.opencontainers.image.licenses="Apache-2.0"
