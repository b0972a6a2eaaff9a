# syntax=docker/dockerfile:1

# LiveKit Cloud agent image (`lk agent create` / `lk agent deploy` build this file).
# Same shape as LiveKit's own agent-starter-node: a shared base with the system CA bundle, a build stage that
# installs and prunes the dependencies, and a runtime stage that holds only what runs, as a non-root user.
# Credentials come from the deployment's secrets (LIVEKIT_URL, LIVEKIT_API_KEY, LIVEKIT_API_SECRET,
# OPENAI_API_KEY); nothing from .env* is in the build context (see .dockerignore).

# Node 24 is the current LTS (Node 20 reached end of life in April 2026). The Debian release is pinned
# (bookworm) so a change of the default under the bare `-slim` tag cannot change the image underneath us.
ARG NODE_VERSION=24
FROM node:${NODE_VERSION}-bookworm-slim AS base

# ca-certificates: the system CA bundle, which the slim image does not ship. The Rust core of @livekit/rtc-node
# verifies TLS against the system trust store at runtime; without it the wss:// connection to LiveKit fails and
# ctx.connect() never joins the room. --no-install-recommends and the removed apt lists keep the layer small.
RUN apt-get update -qq \
    && apt-get install --no-install-recommends -y ca-certificates \
    && rm -rf /var/lib/apt/lists/*

# --- Build stage: dependencies and the build ---
# The agent runs built JavaScript (`npm run build`: esbuild, file by file, into dist/), as `npm start` does: each job
# process the worker forks for a call then loads the framework in about half the CPU it takes through tsx.
FROM base AS build
WORKDIR /app

# onnxruntime-node (under the Silero plugin) would download CUDA files in its install script; the CPU library
# ships inside the package. .npmrc says the same to npm, but npm 11 already warns that it will stop passing
# unknown .npmrc keys to install scripts; the variable keeps working either way.
ENV ONNXRUNTIME_NODE_INSTALL=skip

# Dependency files first, so the install layer stays cached across code-only changes.
# NODE_ENV is deliberately not `production` in this stage: npm ci installs exactly the lockfile, then the prune
# drops the devDependencies (vitest, playwright-core, elkjs, ...; typescript stays, @livekit/agents depends on it).
# onnxruntime-node carries its native library for every OS (~160 MB for macOS and Windows); the image is Linux,
# so those go too (both Linux architectures stay, for arm64 builds). This stage's npm cache never reaches the image.
COPY package.json package-lock.json .npmrc ./
RUN npm ci

# The build needs esbuild (a devDependency), so it runs before the prune.
COPY tsconfig.json agent.config.ts ./
COPY scripts/build.ts ./scripts/build.ts
COPY machines ./machines
COPY src ./src
RUN npm run build \
    && npm prune --omit=dev \
    && rm -rf node_modules/onnxruntime-node/bin/napi-v*/darwin node_modules/onnxruntime-node/bin/napi-v*/win32

# The starter also runs `npx livekit-agents download-files` here. This agent's plugins (openai, silero) have
# nothing to download (the Silero model ships inside its npm package), so the step would be a no-op. A plugin
# that downloads models at build time needs it added here, and its cache copied into the runtime stage.

# --- Runtime stage ---
FROM base AS runtime

# Run as a non-privileged user (https://docs.docker.com/build/building/best-practices/#user): a compromised
# process cannot modify the image's code or dependencies, which stay owned by root and are only readable.
ARG UID=10001
RUN groupadd --gid "${UID}" appuser \
    && useradd --uid "${UID}" --gid appuser --create-home --home-dir /home/appuser \
        --shell /usr/sbin/nologin appuser

WORKDIR /app

# Only what runs: production node_modules and the build (dist/: the config, the machines and the source, with
# source maps) from the build stage; the build writes dist/package.json, which marks its files as CommonJS. The
# project's package.json comes along for the framework's CLI and anything that reads the app's name and version.
# The config is built in: change agent.config.ts and rebuild the image (or override keys through the environment,
# see the README).
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./

# The agent writes one JSONL session record per call to `record.dir` (default ./sessions, i.e. /app/sessions).
# The code is root-owned, so this one directory is created here and given to appuser; without it no record
# can be written (an override of record.dir to another path needs that path created the same way).
# The records are ephemeral: in LiveKit Cloud the container's disk goes away with the container, so ship anything
# you need to keep elsewhere (logs, or a mounted volume when self-hosting).
RUN mkdir -p /app/sessions && chown appuser:appuser /app/sessions

USER appuser

ENV NODE_ENV=production

# `start` connects the worker to LiveKit and waits for jobs. node itself is PID 1 (no npx/npm wrapper, which
# could reach the network and adds a process), so the SIGTERM of a deploy or scale-down reaches the worker's
# graceful drain directly. Stack traces name the TypeScript source lines: the entries turn source maps on
# (src/observability/sourceMaps.ts); the job processes forked per call do it after the framework and plugins have
# loaded, without --enable-source-maps' cost of reading every package's maps.
CMD ["node", "dist/src/agent/main.js", "start"]
