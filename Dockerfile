# custos in a container: built from source, run as a non-root user, with anvil from npm.
#   docker build -t custos .
#   docker run --rm -e MAINNET_RPC_URL custos inspect --file - --rpc "$MAINNET_RPC_URL" < tx.json

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY src ./src
COPY guards ./guards
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
# The image's files belong to root; custos runs as the unprivileged `node` user and writes nothing
# outside its data directory.
RUN mkdir -p /data && chown node:node /data
USER node
ENV HOME=/home/node
ENTRYPOINT ["node", "/app/bin/custos.js"]
CMD ["--help"]
