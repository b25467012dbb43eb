# syntax=docker/dockerfile:1
# livelog server image: `docker build -t livelog .` then
#   docker run -d -p 7600:7600 -v livelog-data:/data -e LIVELOG_TOKENS=<secret> livelog
# Stage 1 builds the workspace and installs the packed tarballs exactly as `npm install livelog`
# would (the same path the pack-and-install test checks); stage 2 holds only that install.

ARG NODE_VERSION=20
# The official Node image by default; any Debian-like base with Node >= 20.19, npm (build stage) and a
# `node` user (uid 1000) works too, e.g. one made where Docker Hub is out of reach (scripts/container-bases.sh).
ARG BUILD_IMAGE=node:${NODE_VERSION}-bookworm-slim
ARG RUNTIME_IMAGE=node:${NODE_VERSION}-bookworm-slim

FROM ${BUILD_IMAGE} AS build
# better-sqlite3 compiles from source where its prebuilt binary cannot be downloaded.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN npm ci --no-audit --no-fund \
  && npm run build \
  && mkdir /tarballs \
  && npm pack --ignore-scripts --pack-destination /tarballs \
    -w @livelog/protocol -w @livelog/core -w @livelog/client -w @livelog/server -w @livelog/redis -w livelog
WORKDIR /opt/livelog
# The server ships the console's build, so @livelog/console and its Lit sources stay out of the image.
RUN echo '{"name":"livelog-image","private":true,"allowScripts":{"better-sqlite3":true}}' > package.json \
  && npm install --omit=dev --no-audit --no-fund /tarballs/*.tgz \
  && npm cache clean --force

FROM ${RUNTIME_IMAGE}
ENV NODE_ENV=production \
  PATH=/opt/livelog/node_modules/.bin:$PATH \
  LIVELOG_HOST=0.0.0.0 \
  LIVELOG_PORT=7600 \
  LIVELOG_DATA=/data \
  LIVELOG_LOG_FORMAT=json
COPY --from=build /opt/livelog /opt/livelog
# The official image's unprivileged user (uid 1000) owns the data volume; nothing runs as root.
RUN mkdir /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 7600
# Listening beyond loopback needs a token: without LIVELOG_TOKENS the server refuses to start, and says so.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 CMD ["livelog", "healthcheck"]
ENTRYPOINT ["livelog"]
CMD ["serve"]
