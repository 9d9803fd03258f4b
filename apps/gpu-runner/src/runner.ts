import type { RunnerConfig } from './config.ts';
import { RunnerMetrics } from './metrics.ts';
import { findModels } from './model-catalog.ts';
import { type LoadedModel, PipelineCache } from './pipeline-cache.ts';
import { type JobOutcome, runJob } from './run-job.ts';
import { type Lease, RunnerApi } from './runner-api.ts';

export interface RunnerStatus {
  runner_id: string;
  ready: boolean;
  draining: boolean;
  execution_providers: { requested: string[]; warning: string | null };
  models: { name: string; loaded: boolean; providers?: Record<string, string>; load_ms?: number }[];
  jobs_in_flight: { id: string; kind: string; model: string }[];
}

/**
 * The runner's main loop: warm the models, then long-poll for as many jobs as it has free
 * slots, run each, repeat. `drain()` (SIGTERM) stops leasing and lets the jobs in hand finish
 * within the grace period; past it they fail as retryable and go back to the queue.
 */
export class Runner {
  readonly metrics = new RunnerMetrics();
  private readonly api: RunnerApi;
  private readonly cache: PipelineCache;
  private readonly inFlight = new Map<string, { lease: Lease; done: Promise<JobOutcome> }>();
  private readonly shutdown = new AbortController();
  private graceTimer: ReturnType<typeof setTimeout> | null = null;
  private ready = false;
  private draining = false;
  private providerWarning: string | null = null;

  constructor(private readonly config: RunnerConfig) {
    this.api = new RunnerApi({ apiUrl: config.apiUrl, token: config.runnerToken });
    this.cache = new PipelineCache(findModels(config.modelsDir), {
      capacity: config.maxLoadedModels,
      executionProviders: config.executionProviders,
      onLoad: (model) => this.checkProviders(model),
    });
  }

  get models(): string[] {
    return this.cache.names;
  }

  /** Loads and warms the preloaded models (one short txt2img each), so /healthz means ready. */
  async warmUp(): Promise<void> {
    // Without SDEDGE_PRELOAD: as many of the models served as the cache keeps (config checks
    // that an explicit list fits).
    const names = this.config.preload ?? this.cache.names.slice(0, this.config.maxLoadedModels);
    for (const name of names) {
      if (!this.cache.names.includes(name))
        throw new Error(
          `SDEDGE_PRELOAD: ${name} is not among the models served (${this.cache.names.join(', ')}).`,
        );
      await this.cache.with(name, async ({ pipeline }) => {
        await pipeline.txt2img({ prompt: 'warm-up', steps: 1, seed: 0, guidanceScale: 1 });
      });
    }
    this.metrics.loadedModels.set((await this.cache.loadedModels()).length);
    this.ready = true;
  }

  /** Leases and runs jobs until drained. */
  async run(): Promise<void> {
    while (!this.draining) {
      const free = this.config.concurrency - this.inFlight.size;
      if (free <= 0) {
        await Promise.race([...this.inFlight.values()].map((j) => j.done));
        continue;
      }
      const asked = performance.now();
      let leases: Lease[];
      try {
        leases = await this.api.lease({
          runner_id: this.config.runnerId,
          models: this.cache.names,
          capacity: free,
          wait_seconds: this.config.pollSeconds,
          lease_seconds: this.config.leaseSeconds,
        });
      } catch (error) {
        if (this.draining) break;
        console.warn(`[runner] lease failed, retrying in 2 s: ${(error as Error).message}`);
        await sleep(2000);
        continue;
      }
      if (leases.length > 0)
        this.metrics.leaseWaitSeconds.observe((performance.now() - asked) / 1000);
      if (this.draining) await this.releaseAll(leases);
      else for (const lease of leases) this.start(lease);
    }
    await this.settle();
  }

  /**
   * Stops leasing and starts the grace period. A poll in flight is waited for (at most
   * SDEDGE_POLL_SECONDS), and what it brings is handed back unworked, so no job waits for a
   * lease to expire and no attempt is spent.
   */
  drain(): void {
    if (this.draining) return;
    this.draining = true;
    this.graceTimer = setTimeout(() => this.shutdown.abort(), this.config.graceSeconds * 1000);
  }

  async status(): Promise<RunnerStatus> {
    const loaded = new Map((await this.cache.loadedModels()).map((m) => [m.name, m]));
    return {
      runner_id: this.config.runnerId,
      ready: this.ready,
      draining: this.draining,
      execution_providers: {
        requested: this.config.executionProviders,
        warning: this.providerWarning,
      },
      models: this.cache.names.map((name) => {
        const model = loaded.get(name);
        return model
          ? { name, loaded: true, providers: model.providers, load_ms: Math.round(model.loadMs) }
          : { name, loaded: false };
      }),
      jobs_in_flight: [...this.inFlight.values()].map(({ lease }) => ({
        id: lease.job.id,
        kind: lease.job.kind,
        model: lease.job.model,
      })),
    };
  }

  async dispose(): Promise<void> {
    await this.cache.dispose();
  }

  private start(lease: Lease) {
    const { job } = lease;
    this.metrics.jobsInFlight.inc();
    console.log(
      `[runner] job ${job.id} (${job.kind}, ${job.model}, attempt ${job.attempt}) started`,
    );
    const done = runJob(lease, {
      api: this.api,
      cache: this.cache,
      metrics: this.metrics,
      leaseSeconds: this.config.leaseSeconds,
      previewEvery: this.config.previewEvery,
      shutdown: this.shutdown.signal,
    }).then(async (outcome) => {
      this.inFlight.delete(job.id);
      this.metrics.jobsInFlight.dec();
      this.metrics.jobs.inc({ kind: job.kind, outcome });
      this.metrics.loadedModels.set((await this.cache.loadedModels()).length);
      console.log(`[runner] job ${job.id} ${outcome}`);
      return outcome;
    });
    this.inFlight.set(job.id, { lease, done });
  }

  /** Waits for the jobs in hand; past the grace period they stop (failed as retryable). */
  private async settle(): Promise<void> {
    await Promise.all([...this.inFlight.values()].map((j) => j.done));
    if (this.graceTimer) clearTimeout(this.graceTimer);
  }

  private async releaseAll(leases: Lease[]) {
    for (const lease of leases) {
      try {
        await this.api.release(lease.job.id, lease.lease_id);
        console.log(`[runner] job ${lease.job.id} handed back (shutting down)`);
      } catch (error) {
        console.warn(
          `[runner] could not hand back ${lease.job.id}; its lease will expire: ${(error as Error).message}`,
        );
      }
    }
  }

  /** ONNX Runtime falls back to the CPU quietly: say so loudly when CUDA was asked for. */
  private checkProviders(model: LoadedModel) {
    const got = Object.values(model.providers);
    const wanted = this.config.executionProviders[0];
    if (wanted === 'cpu' || got.every((p) => p === wanted)) return;
    this.providerWarning = `${wanted} was requested but ${model.name} got ${Object.entries(
      model.providers,
    )
      .map(([label, p]) => `${label}: ${p}`)
      .join(', ')}`;
    console.warn(`[runner] WARNING: ${this.providerWarning}`);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
