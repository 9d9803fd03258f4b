import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The runner's Prometheus metrics, served at /metrics. */
export class RunnerMetrics {
  readonly registry = new Registry();
  readonly jobs = new Counter({
    name: 'sdedge_runner_jobs_total',
    help: 'Jobs ended by this runner, by kind and outcome (succeeded, failed, retried, canceled, lost).',
    labelNames: ['kind', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly steps = new Counter({
    name: 'sdedge_runner_denoising_steps_total',
    help: 'Denoising steps taken (one per UNet step of an image, or of a frame).',
    registers: [this.registry],
  });
  readonly stepsPerSecond = new Gauge({
    name: 'sdedge_runner_steps_per_second',
    help: 'Denoising steps per second of the last job, by model.',
    labelNames: ['model'] as const,
    registers: [this.registry],
  });
  readonly stageSeconds = new Histogram({
    name: 'sdedge_runner_stage_seconds',
    help: 'Time per job stage: download, load, generate, encode, upload, complete; and the pipeline stages.',
    labelNames: ['stage'] as const,
    buckets: [0.001, 0.005, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 180, 600],
    registers: [this.registry],
  });
  readonly leaseWaitSeconds = new Histogram({
    name: 'sdedge_runner_lease_wait_seconds',
    help: 'Time from asking for work to getting a job.',
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });
  readonly loadedModels = new Gauge({
    name: 'sdedge_runner_loaded_models',
    help: 'Pipelines loaded in memory now.',
    registers: [this.registry],
  });
  readonly jobsInFlight = new Gauge({
    name: 'sdedge_runner_jobs_in_flight',
    help: 'Jobs running on this runner now.',
    registers: [this.registry],
  });
}
