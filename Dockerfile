# syntax=docker/dockerfile:1
# hookflow: one image for every role. `docker run IMAGE serve` (the default) runs the ingress,
# `docker run IMAGE worker` the worker; both need TEMPORAL_ADDRESS. TypeScript runs through tsx
# (a runtime dependency), so there is no compile step.
ARG NODE_IMAGE=node:20-bookworm-slim

# ---- dependencies: production only, from the lock file -------------------------------------
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
COPY package.json package-lock.json tsconfig.json ./
COPY bin ./bin
COPY src ./src
COPY workflows ./workflows
COPY schema ./schema
# Example recipes (run when /app/recipes is absent or empty); a deployment mounts its own over
# /app/recipes (read-only is enough).
COPY examples ./examples
RUN mkdir -p /app/.hookflow/bundles && chown -R node:node /app/.hookflow

USER node

# Bundle the workflow code now, into the cache the worker reads (.hookflow/bundles, keyed by a
# hash of the code), so a worker starts without running webpack. Not fatal: a worker whose cache
# misses bundles in memory at start-up.
RUN node --import tsx --input-type=module \
      -e "const { workflowBundle } = await import('./src/temporal/worker.ts'); await workflowBundle('/app');" \
  || echo "warning: workflow pre-bundling failed; workers will bundle at start-up" >&2

EXPOSE 3000
# For the ingress (`serve`/`start`): 200 only when recipes are loaded, Temporal answers and a
# worker polls. A `worker` container has no HTTP server: disable this check for it
# (compose: `healthcheck: {disable: true}`, docker run: --no-healthcheck).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# SIGTERM (docker stop) lets in-flight requests and activities finish before the process exits.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "bin/hookflow.mjs"]
CMD ["serve"]
