# custos in a container: built from source, run as a non-root user, with anvil from npm.
#   docker build -t custos .
#   docker run --rm -i custos inspect --file - --chain-id 1 --safe-version 1.3.0 < tx.json
#   docker compose up -d          (compose.yaml: custos run, the config mounted, state in a volume)
# For `run` in a container, set `dataDir: /data` and `server.host: 0.0.0.0` in the config
# (docs/operations.md). This file has not been built on the machines custos is developed on,
# which cannot pull base images.

FROM node:20-bookworm-slim AS build
# better-sqlite3 compiles its native module when no prebuilt binary can be fetched.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY src ./src
COPY guards ./guards
COPY bench ./bench
# `npm ci` installs everything (anvil's platform binary included) and builds through `prepare`.
RUN npm ci && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
COPY --chown=root:root package.json ./
COPY --chown=root:root bin ./bin
COPY --chown=root:root config ./config
# The image's files belong to root; custos runs as the unprivileged `node` user and writes only
# to its data directory.
RUN mkdir -p /data && chown node:node /data
USER node
ENV HOME=/home/node
# Heap caps for a long-running `custos run` (docs/benchmark.md: about 160 MB RSS for 1,000 Safes
# and 100 governors); raise --max-old-space-size for many more (docker run -e NODE_OPTIONS=…).
ENV NODE_OPTIONS="--max-old-space-size=160 --max-semi-space-size=8"
VOLUME /data
EXPOSE 8080
# Healthy while /healthz answers 200 (the watch loop's heartbeat is fresh and the store works);
# CUSTOS_HEALTH_URL when the config listens elsewhere than port 8080.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch(process.env.CUSTOS_HEALTH_URL || 'http://127.0.0.1:8080/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "/app/bin/custos.js"]
CMD ["--help"]
