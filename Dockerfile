# Margin risk API: a multi-stage build. The runtime image holds node, the production dependencies and the compiled
# service; no dev dependencies (no typescript, no Prisma CLI, no PGlite), no embedded Postgres (an optional dependency,
# omitted): give it DATABASE_URL. Migrations are their own command (the Job in docs/kubernetes.yaml):
#   docker run --rm -e DATABASE_URL=… margin-risk-api node dist/src/cli/migrate.js
# and the service, started with MIGRATE_ON_START=false, refuses to serve while a migration is pending.
ARG NODE_IMAGE=node:20-bookworm-slim

# 1. Compile: all dependencies, generated Prisma client and resolver types, tsc into dist/ (scripts/build.sh).
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY . .
RUN bash scripts/build.sh

# 2. Production dependencies only, from the same lock file.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=optional --no-audit --no-fund --ignore-scripts && npm cache clean --force
# The generated Prisma client loads only the PostgreSQL query compiler: drop the other databases' (~55 MB).
RUN find node_modules/@prisma/client/runtime -name 'query_compiler_*_bg.*' ! -name '*.postgresql.*' -delete

# 3. Runtime: non-root, the compiled service (dist/src, with schema.graphql and prisma/migrations beside it in dist/).
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PORT=4000 \
    DATA_DIR=/app/.data/pg
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
# Writable by the runtime user (only used by an embedded database, which this image does not carry).
RUN mkdir -p /app/.data && chown node:node /app/.data
USER node
EXPOSE 4000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||4000)+'/livez').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/src/main.js"]
