#!/bin/sh
# Makes the two base images the Dockerfile can build from where Docker Hub (node:20-bookworm-slim) is
# out of reach but a Debian mirror is not: Debian trixie with its own Node 20 (20.19), a `node` user
# (uid 1000) as in the official image, and for the build stage npm, the Node headers and a compiler.
# Needs root, mmdebstrap and podman (or docker). Then:
#   LIVELOG_BUILD_IMAGE=localhost/livelog-base/node-build:20-trixie \
#   LIVELOG_RUNTIME_IMAGE=localhost/livelog-base/node:20-trixie npm run test:container
# (the build stage also needs the npm registry; behind a TLS-inspecting proxy, mount its CA and an
# .npmrc naming it with LIVELOG_CONTAINER_BUILD_FLAGS, see docs/guides/container.md).
set -eu
ENGINE="${CONTAINER_ENGINE:-podman}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

mmdebstrap --variant=minbase --include=nodejs,ca-certificates \
  --customize-hook='chroot "$1" useradd --uid 1000 --create-home --shell /bin/sh node' \
  --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*' \
  trixie "$WORK/rootfs.tar" "$MIRROR"
"$ENGINE" import --change 'CMD ["node"]' "$WORK/rootfs.tar" localhost/livelog-base/node:20-trixie

cat > "$WORK/Containerfile" <<'EOF'
FROM localhost/livelog-base/node:20-trixie
# libnode-dev: node-gyp builds better-sqlite3 against these headers (npm_config_nodedir=/usr) instead of downloading them.
RUN apt-get update && apt-get install -y --no-install-recommends npm libnode-dev python3 make g++ && rm -rf /var/lib/apt/lists/*
ENV npm_config_nodedir=/usr
EOF
"$ENGINE" build -t localhost/livelog-base/node-build:20-trixie -f "$WORK/Containerfile" "$WORK"
