# custos in a container: built from source, run as a non-root user, with anvil from npm.
#   docker build -t custos .
#   docker run --rm -i custos inspect --file - --chain-id 1 --safe-version 1.3.0 < tx.json
#   docker run -d -v $PWD/custos.yaml:/config/custos.yaml:ro -v custos-data:/data -p 8080:8080 \
#     -e MAINNET_RPC_URL custos run --config /config/custos.yaml
# For `run` in a container, set `dataDir: /data` and `server.host: 0.0.0.0` in the config.

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
VOLUME /data
EXPOSE 8080
ENTRYPOINT ["node", "/app/bin/custos.js"]
CMD ["--help"]
