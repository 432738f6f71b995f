# syntax=docker/dockerfile:1
# One image for every role. MODULES picks the modules a container mounts (default: all);
# the command picks the entrypoint:
#   (default)                   node dist/bin/server.js    HTTP for MODULES + their workers
#   node dist/bin/gateway.js    the public edge of a split
#   node dist/bin/worker.js     only the queue workers of MODULES (needs REDIS_URL)
#   node dist/bin/migrate.js    apply MODULES' migrations, then exit
# test/containers/ builds it and runs every role (npm run test:containers).

# A supported LTS, pinned (a rebuild gets the same Node; bump it on purpose). .ci/run tests on its major.
FROM node:24.19.0-bookworm-slim AS base
WORKDIR /app

# Production dependencies only. Nothing is compiled: better-sqlite3 and msgpackr-extract come with
# prebuilt Node-API binaries (package.json "allowScripts" keeps better-sqlite3's node-gyp fallback off).
FROM base AS prod-deps
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

# The compiler needs the dev dependencies, not their native builds: tsc only reads type declarations.
FROM base AS build
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM base AS runtime
ENV HOST=0.0.0.0 PORT=3000 DATA_DIR=/data
# A smaller young generation (V8's default semi-space grows to 16 MB): measured with
# bench:footprint, RSS after 3 minutes of mixed load 132 → 109 MB, CPU per request unchanged
# within noise. Every role gets it; a deployment that sets NODE_OPTIONS replaces it.
ENV NODE_OPTIONS=--max-semi-space-size=4
RUN mkdir -p /data && chown node:node /data
# Code and dependencies stay owned by root (read-only to the app); only /data is writable.
COPY package.json package-lock.json ./
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY drizzle ./drizzle
# Published contracts: the gateway shows a module whose service serves no /docs/json by its contract.
COPY contracts ./contracts
USER node
EXPOSE 3000
# Node's own fetch: no curl in the image. Every long-running role serves /health/live on PORT.
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health/live').then((res) => process.exit(res.ok ? 0 : 1), () => process.exit(1))"]
# Exec form: node is PID 1 and gets SIGTERM directly (graceful close within SHUTDOWN_TIMEOUT_MS).
CMD ["node", "dist/bin/server.js"]
