# syntax=docker/dockerfile:1
# One image for every Node function (shop, collector, consumer) and the migration job; compose.yaml
# picks the entry with `command:`. TypeScript runs as-is through tsx (a runtime dependency).
ARG NODE_IMAGE=node:20.20-bookworm-slim

# ---- build: production node_modules, with @confluentinc/kafka-javascript compiled here
FROM ${NODE_IMAGE} AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      python3 make g++ pkg-config \
      libssl-dev zlib1g-dev libzstd-dev libsasl2-dev liblz4-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# Install scripts stay off for the tree; the one native module is then built from source, with
# librdkafka linked against Debian's libssl/zlib/zstd/lz4/sasl (CKJS_LINKING=dynamic) and
# node-gyp using the image's own Node headers (nodedir) instead of downloading them.
# The librdkafka sources and static archives are only needed for the build, so they go.
RUN npm ci --omit=dev --ignore-scripts \
 && CKJS_LINKING=dynamic npm_config_build_from_source=true npm_config_nodedir=/usr/local \
      npm rebuild @confluentinc/kafka-javascript \
 && ckjs=node_modules/@confluentinc/kafka-javascript \
 && rm -rf "$ckjs/deps" "$ckjs/build/Release/obj.target" "$ckjs/build/deps/include" "$ckjs"/build/deps/*.a \
 && node -e "require('@confluentinc/kafka-javascript')"

# ---- runtime: the shared libraries librdkafka was linked against, the app, no compilers
FROM ${NODE_IMAGE} AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      ca-certificates libssl3 zlib1g libzstd1 libsasl2-2 liblz4-1 \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY . .
USER node
EXPOSE 3000 3001
# Overridden per service in compose.yaml; the default is the collector, like `npm start`.
CMD ["node", "--import", "tsx", "functions/collector/node.ts"]
