# Build: compile src/ to dist/ (TypeScript is a development dependency). Scripts are skipped so that `prepare` does
# not build before the sources are there.
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# The mock servers of docker-compose.yml run from their TypeScript sources through tsx (a development dependency).
FROM build AS dev
COPY mock-servers ./mock-servers
COPY examples ./examples

# switchboard itself: the compiled JavaScript and the production dependencies, nothing compiled at run time.
FROM node:20-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund
COPY bin ./bin
COPY --from=build /app/dist ./dist
ENTRYPOINT ["node", "bin/switchboard.js"]
CMD ["serve", "--config", "/config/switchboard.yaml", "--host", "0.0.0.0"]
