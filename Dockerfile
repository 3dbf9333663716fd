# The runtime package (packages/runtime) as an image: built in one stage, run in a slim one as the unprivileged `node`
# user, data in /data.
# docker build -t whatsapp-runtime . && docker run -p 3100:3100 -v wa-data:/data whatsapp-runtime
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/runtime/package.json ./packages/runtime/
# install scripts are skipped: none is needed to build or run the runtime (n8n, a dev dependency, would compile isolated-vm)
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY . .
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:24-bookworm-slim
# ffmpeg converts voice notes to OGG/Opus; tini passes SIGTERM on so the runtime drains before it exits
RUN apt-get update \
  && apt-get install -y --no-install-recommends ffmpeg tini \
  && rm -rf /var/lib/apt/lists/* \
  && mkdir /data && chown node:node /data && chmod 700 /data
WORKDIR /app
# the runtime package as the build assembled it (package.json, bin, dist, index.js), with the production dependencies
COPY --from=build /app/packages/runtime ./
COPY --from=build /app/node_modules ./node_modules
USER node
ENV NODE_ENV=production WA_HOST=0.0.0.0 WA_PORT=3100 WA_DATA_DIR=/data
VOLUME /data
EXPOSE 3100
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:3100/health/live').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["tini", "--"]
CMD ["node", "bin/whatsapp-runtime.js"]
