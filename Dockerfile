# Weft: one image for every process (`weft start`, `weft start --no-workers`, `weft worker`, ...).
# Node 24 runs the TypeScript sources directly (type stripping), so there is no build step.
FROM node:24-slim

ENV NODE_ENV=production
WORKDIR /app

# Production dependencies only. The `node` devDependency (a Node binary for older machines) is
# omitted here: the image uses the base image's Node. The check fails the build if it slips in.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
  && test ! -e node_modules/node \
  && npm cache clean --force

# Sources stay owned by root (read-only to the app); only the data directory is writable.
COPY . .
RUN mkdir -p /app/.weft && chown node:node /app/.weft

# The base image's unprivileged user.
USER node

# Listen on all interfaces inside the container. Without DATABASE_URL, `weft start` keeps an
# embedded Postgres and the master key in /app/.weft: mount a volume there to keep them.
ENV HOST=0.0.0.0 PORT=8787
EXPOSE 8787

# No curl in the slim image: Node's fetch does the probe. `weft worker` serves no HTTP, so
# deployments running workers disable this check for them (see docker-compose.yml).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT ?? 8787}/health`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

ENTRYPOINT ["node", "bin/weft.ts"]
CMD ["start"]
