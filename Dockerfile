# LiveKit Cloud agent image (`lk agent create` / `lk agent deploy` build this). Node 20, production deps only.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production \
    ONNXRUNTIME_NODE_INSTALL=skip
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev && npm cache clean --force
COPY agent.config.ts tsconfig.json ./
COPY machines ./machines
COPY src ./src
# Credentials come from the deployment's secrets (LIVEKIT_URL, LIVEKIT_API_KEY, LIVEKIT_API_SECRET, OPENAI_API_KEY).
CMD ["npx", "tsx", "src/agent/main.ts", "start"]
