#!/usr/bin/env bash
# Compiles the service as the Dockerfile does (tsc -p tsconfig.build.json into dist/, the contract and the migrations
# beside it, where the compiled code looks for them: dist/src/* → dist/). `build.sh bench` also compiles bench/
# (tsconfig.bench.json), so the benchmarks run the service as deployed: tsc's output under node, not TypeScript
# through a loader (tsx's CommonJS output reads every imported binding through a getter, ~10% of the engine's time).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d src/generated/prisma ] || bash scripts/generate.sh
if [ "${1:-}" = bench ]; then
  npx --no-install tsc -p tsconfig.bench.json
else
  npx --no-install tsc -p tsconfig.build.json
fi
cp schema.graphql dist/
rm -rf dist/prisma
mkdir -p dist/prisma
cp -r prisma/migrations dist/prisma/
