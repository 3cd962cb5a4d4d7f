FROM node:20-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY src ./src
COPY bin ./bin
COPY mock-servers ./mock-servers
COPY scripts ./scripts
COPY examples ./examples
ENTRYPOINT ["node", "bin/switchboard.js"]
CMD ["serve", "--config", "/config/switchboard.yaml", "--host", "0.0.0.0"]
