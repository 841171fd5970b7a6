# Multi-stage build: compile once, run as a non-root user. The container applies migrations, then serves.
# Give it DATABASE_URL (the embedded Postgres default is for laptops, not containers).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run generate && npx tsc -p tsconfig.build.json

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# Code finds the contract and the migrations relative to itself (dist/src/* → dist/).
COPY schema.graphql ./dist/
COPY prisma ./dist/prisma
USER node
EXPOSE 4000
CMD ["node", "dist/src/main.js"]
