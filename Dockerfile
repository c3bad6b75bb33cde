# syntax=docker/dockerfile:1
# The desktop-backend server image. The layout and commands (WORKDIR, uid, ports, CMD, the migrate command) are the
# ones platform/server-contract.ts declares and the manifests run; test/container.test.ts holds the two to each other.
#
# Base: the official Node image pinned by its exact version tag, the same Node version as .nvmrc (a test checks it).
# Pin the digest too (…-bookworm-slim@sha256:<digest>) where a registry is reachable: it could not be looked up and
# verified where this file was written, and a guessed digest would be worse than none.
ARG NODE_IMAGE=docker.io/library/node:24.21.0-bookworm-slim

# --- build: every dependency, then the TypeScript compile --------------------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY platform/ platform/
COPY server/src/ server/src/
RUN npm run build

# --- production dependencies only, installed without lifecycle scripts --------------------------------------------------
FROM ${NODE_IMAGE} AS runtime-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# --- runtime ------------------------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
# npm, npx, corepack and yarn are not needed to run the server or the migrations; fewer tools for an intruder, too.
RUN rm -rf /usr/local/lib/node_modules /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
    /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-* /root/.npm /tmp/*
WORKDIR /app
# Owned by root and read-only to the server's user: the process cannot rewrite its own code.
COPY --from=runtime-deps /app/node_modules/ node_modules/
COPY --from=build /app/dist/ dist/
COPY package.json ./
# Read at run time by the migrate command (dist/server/src/cli/migrate.js); the same image runs the migration Job.
COPY server/migrations/ server/migrations/
USER 1000:1000
EXPOSE 4000 9464
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||4000)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Exec form: node is PID 1 and receives SIGTERM itself (no npm, no shell in between).
CMD ["node", "dist/server/src/main.js"]
