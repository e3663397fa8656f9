# syntax=docker/dockerfile:1
# hookflow: one image for every role. `docker run IMAGE serve` (the default) runs the ingress,
# `docker run IMAGE worker` the worker; both need TEMPORAL_ADDRESS. The TypeScript is compiled in a
# build stage (`npm run build`, tsc → dist/); the image runs `node dist/src/cli/main.js`, no tsx
# (start-up time and memory, before and after: docs/BENCHMARKS.md).
ARG NODE_IMAGE=node:24-bookworm-slim

# ---- build: every dependency (TypeScript), then tsc into dist/ ---------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.mjs ./scripts/build.mjs
COPY src ./src
COPY workflows ./workflows
COPY schema ./schema
RUN npm run build

# ---- dependencies: production only, from the lock file -------------------------------------
# (better-sqlite3 is optional and not needed: Node 24 has node:sqlite built in.)
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# ---- runtime ---------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PORT=3000
WORKDIR /app

# App files stay owned by root (read-only for the process); only .hookflow/ is writable.
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json ./
COPY --from=build /app/dist ./dist
# bin/hookflow.mjs runs dist/ where there is no src/, so `docker exec … node bin/hookflow.mjs
# requests` works too.
COPY bin ./bin
# Example recipes (run when /app/recipes is absent or empty); a deployment mounts its own over
# /app/recipes (read-only is enough).
COPY examples ./examples
RUN mkdir -p /app/.hookflow/bundles && chown -R node:node /app/.hookflow

USER node

# Bundle the workflow code now, into the cache the worker reads (.hookflow/bundles, keyed by a
# hash of the code), so a worker starts without running webpack. Not fatal: a worker whose cache
# misses bundles in memory at start-up.
RUN node --input-type=module \
      -e "const { workflowBundle } = await import('./dist/src/temporal/worker.js'); await workflowBundle('/app');" \
  || echo "warning: workflow pre-bundling failed; workers will bundle at start-up" >&2

EXPOSE 3000
# For the ingress (`serve`/`start`): 200 only when recipes are loaded, Temporal answers and a
# worker polls. A `worker` container serves HTTP only when METRICS_PORT is set (its own /healthz
# and /metrics on that port): disable this check for workers, or point it at METRICS_PORT
# (compose: `healthcheck: {disable: true}`, docker run: --no-healthcheck).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# SIGTERM (docker stop) lets in-flight requests and activities finish before the process exits.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "dist/src/cli/main.js"]
CMD ["serve"]
