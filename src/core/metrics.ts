import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Repositories } from './repositories.js';

/**
 * The core's own Prometheus metrics: deploy and scheduling time, reservation attempts, workloads per
 * state, and ledger drift found by the invariant check. The API serves them at /metrics and adds its
 * request latency to the same registry.
 */
export class CoreMetrics {
  readonly registry = new Registry();
  readonly deploySeconds = new Histogram({
    name: 'eru_core_deploy_seconds',
    help: 'Time from a deploy request to its result, by outcome',
    labelNames: ['outcome'] as const,
    buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers: [this.registry],
  });
  readonly scheduleSeconds = new Histogram({
    name: 'eru_core_schedule_seconds',
    help: 'Time to plan and reserve a deploy (reading the pod, the scheduler, the store transaction)',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });
  readonly reservationAttempts = new Counter({
    name: 'eru_core_reservation_attempts_total',
    help: 'Reservation transactions tried (more than deploys: a concurrent change made one re-plan)',
    registers: [this.registry],
  });
  readonly ledgerDrift = new Counter({
    name: 'eru_core_ledger_drift_total',
    help: 'Differences found between node ledgers and what workloads and deploys under way hold (checked at start-up and after recovery)',
    registers: [this.registry],
  });

  readonly checkDrift = new Gauge({
    name: 'eru_check_drift',
    help: "Drift the last whole check found between the store and the hosts, by kind (eru check; the leader's runs every minute)",
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  constructor(repos: Repositories) {
    // The event loop's delay sampled once a second, not prom-client's default every 10 ms: that timer
    // alone woke an idle core 100 times a second (most of its idle CPU).
    collectDefaultMetrics({ register: this.registry, prefix: 'eru_core_', eventLoopMonitoringPrecision: 1000 });
    new Gauge({
      name: 'eru_workloads',
      help: 'Workloads by pod and state (running, healthy, not running, unknown)',
      labelNames: ['pod', 'state'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        const statuses = new Map((await repos.statuses.list()).map((s) => [s.name, s.value]));
        for (const { value: workload } of await repos.workloads.list()) {
          const status = statuses.get(workload.id);
          const state = !status ? 'unknown' : !status.running ? 'not_running' : status.healthy ? 'healthy' : 'running';
          this.inc({ pod: workload.pod, state });
        }
      },
    });
  }
}
