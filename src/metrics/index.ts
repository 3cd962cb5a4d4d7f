import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one switchboard instance (its own registry, so several instances can share a process in tests). */
export class Metrics {
  readonly registry = new Registry();
  readonly upstreamCalls = new Counter({
    name: 'switchboard_upstream_requests_total',
    help: 'Requests relayed to upstream servers, by server, method and outcome (ok, error, tool_error, timeout, unavailable, cancelled).',
    labelNames: ['server', 'method', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly upstreamLatency = new Histogram({
    name: 'switchboard_upstream_request_duration_seconds',
    help: 'Latency of requests relayed to upstream servers.',
    labelNames: ['server', 'method'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly sessions = new Gauge({ name: 'switchboard_sessions', help: 'Open downstream sessions.', registers: [this.registry] });
  readonly upstreamStates = new Gauge({
    name: 'switchboard_upstream_connections',
    help: 'Upstream connections by server and state (a public server has one, shared by every session; a server behind OAuth one per principal).',
    labelNames: ['server', 'state'] as const,
    registers: [this.registry],
  });

  readonly upstreamHealthy = new Gauge({
    name: 'switchboard_upstream_healthy',
    help: 'Whether each server answered its last health check (1) or not (0), on its shared connection.',
    labelNames: ['server'] as const,
    registers: [this.registry],
  });
  readonly upstreamHealthLatency = new Gauge({
    name: 'switchboard_upstream_health_check_latency_seconds',
    help: 'Round trip of the last successful health check of each server (ping, or server/discover for 2026-07-28 servers).',
    labelNames: ['server'] as const,
    registers: [this.registry],
  });
  readonly upstreamHealthCheckedAt = new Gauge({
    name: 'switchboard_upstream_health_checked_timestamp_seconds',
    help: 'When each server was last checked (Unix time).',
    labelNames: ['server'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}
