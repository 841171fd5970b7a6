import { defineConfig } from 'prisma/config';

// Used by the Prisma CLI only (generate needs no database). At run time the service connects through
// @prisma/adapter-pg over its own pg Pool (src/store/database.ts) and applies migrations with its own runner.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://localhost:5432/unused' },
});
