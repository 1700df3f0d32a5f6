# syntax=docker/dockerfile:1
# One image for the core and the TypeScript example plugin (different commands).

# Build stage: compiles TypeScript and the native better-sqlite3 addon.
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.docker.json ./
COPY src ./src
COPY examples/plugins ./examples/plugins
RUN npx tsc -p tsconfig.docker.json && npm prune --omit=dev

# Runtime stage: production dependencies and compiled code only, as a non-root user.
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    CORE_ADDRESS=0.0.0.0:50051 \
    CORE_DATABASE_URL=sqlite:/data/training-core.db
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/build ./build
COPY package.json ./
RUN mkdir -p /data /models && chown node:node /data /models
USER node
VOLUME ["/data"]
EXPOSE 50051
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "build/src/cli/health-check.js"]
CMD ["node", "build/src/main.js"]
