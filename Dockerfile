# syntax=docker/dockerfile:1
# One image for every service: the pod's arguments choose it (`serve order`, `serve gateway`, …;
# see deploy/k8s), or `start --memory` runs the whole system in one container. Node runs the
# TypeScript sources as they are, so there is nothing to compile.
ARG NODE_IMAGE=node:24-slim

# Production dependencies only, exactly as locked. Only the manifests are copied first, so a
# change of source code reuses this layer.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/contracts/package.json packages/contracts/
COPY packages/platform/package.json packages/platform/
COPY services/customercenter/package.json services/customercenter/
COPY services/drink/package.json services/drink/
COPY services/gateway/package.json services/gateway/
COPY services/order/package.json services/order/
COPY services/payment/package.json services/payment/
COPY services/point/package.json services/point/
COPY apps/cafe/package.json apps/cafe/
COPY apps/web/package.json apps/web/
# Not apps/bench: `cafe bench` runs from a checkout, and .dockerignore leaves it and so its load
# generator out of the image.
# No install scripts run: no production dependency has one (the `node` development pin does; the
# image brings its own Node).
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# The web UI, bundled (and compressed) with the development dependencies only this stage has.
FROM deps AS web
RUN --mount=type=cache,target=/root/.npm \
    npm ci --include=dev --ignore-scripts --no-audit --no-fund
COPY scripts/build-output.ts ./scripts/
COPY apps/web ./apps/web
RUN node apps/web/build.ts --force

FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
# node_modules with the workspace links (@cafeteria/* → ../../packages/…) the sources resolve.
COPY --from=deps /app ./
COPY packages ./packages
COPY services ./services
COPY apps ./apps
COPY --from=web /app/apps/web/dist ./apps/web/dist
# The image's `node` user, by number so that Kubernetes can check runAsNonRoot.
USER 1000:1000
# A container's lines are read by its log collector, even with a terminal attached (`-t`).
ENV LOG_FORMAT=json
EXPOSE 8080 8081 8082 8083 8084 8085
ENTRYPOINT ["node", "apps/cafe/src/cli.ts"]
CMD ["serve", "gateway"]
