# syntax=docker/dockerfile:1

# Node 24 LTS on Debian bookworm (slim). The @sha256 digest pins the exact image (the multi-arch
# index), so a rebuild cannot pick up a different base behind the tag. To refresh it,
# `docker buildx imagetools inspect node:24-bookworm-slim` prints the current digest ("Digest:").
ARG NODE_IMAGE=node:24-bookworm-slim@sha256:d6aa754f16b3197301076f047b5def2f02ea1dbbc2ca920407d46d7ec7f87b20

# Build stage: full dependencies, compile TypeScript to dist/.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
COPY migrations ./migrations
RUN npm run build

# Runtime stage: production dependencies only, non-root.
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PORT=3000 \
    DATA_DIR=/app/data
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force \
 && mkdir -p /app/data && chown node:node /app/data
COPY --from=build /app/dist ./dist
COPY bin ./bin
USER node
EXPOSE 3000
VOLUME ["/app/data"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Migrations run at start (safe with several instances); `docker run … node bin/favour.js migrate` runs them alone.
# As `npm start`: semi-spaces of 4 MB (V8 lets them grow to 16 MB) keep RSS lower during CSV exports,
# at no measured cost in webhook throughput.
CMD ["node", "--max-semi-space-size=4", "dist/src/server.js"]
