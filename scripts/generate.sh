#!/usr/bin/env bash
# Generates Prisma Client, the GraphQL resolver types and the typed client (client/generated/), offline.
# Prisma's CLI wants a native schema engine even for `generate` (which does not use it); pointing
# PRISMA_SCHEMA_ENGINE_BINARY at any existing file keeps it from downloading one.
set -euo pipefail
cd "$(dirname "$0")/.."
export PRISMA_SCHEMA_ENGINE_BINARY="${PRISMA_SCHEMA_ENGINE_BINARY:-$(command -v node)}"
export PRISMA_HIDE_UPDATE_MESSAGE=1 CHECKPOINT_DISABLE=1
npx --no-install prisma generate >/dev/null
npx --no-install graphql-codegen --config codegen.ts >/dev/null
