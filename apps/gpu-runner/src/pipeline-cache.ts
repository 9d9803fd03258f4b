import { loadPipeline, type StableDiffusionPipeline } from '@sdedge/pipeline/node';

export interface LoadedModel {
  name: string;
  pipeline: StableDiffusionPipeline;
  /** The provider each session really got, e.g. { unet: 'cpu' }. */
  providers: Record<string, string>;
  loadMs: number;
}

/**
 * Loaded pipelines, at most `capacity` at once; the least recently used one is disposed to make
 * room (never one a running job holds). Concurrent requests for one model share one load.
 */
export class PipelineCache {
  private readonly loaded = new Map<string, Promise<LoadedModel>>();
  private readonly inUse = new Map<string, number>();

  constructor(
    private readonly dirs: Map<string, string>,
    private readonly options: {
      capacity: number;
      executionProviders: string[];
      onLoad?: (model: LoadedModel) => void;
    },
  ) {}

  get names(): string[] {
    return [...this.dirs.keys()];
  }

  /** Models loaded now, most recently used last. */
  async loadedModels(): Promise<LoadedModel[]> {
    const settled = await Promise.allSettled(this.loaded.values());
    return settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  }

  /** Runs `use` with the model's pipeline loaded, keeping it from eviction meanwhile. */
  async with<T>(name: string, use: (model: LoadedModel) => Promise<T>): Promise<T> {
    this.inUse.set(name, (this.inUse.get(name) ?? 0) + 1);
    try {
      return await use(await this.get(name));
    } finally {
      this.inUse.set(name, (this.inUse.get(name) ?? 1) - 1);
    }
  }

  async get(name: string): Promise<LoadedModel> {
    const dir = this.dirs.get(name);
    if (!dir) throw new Error(`model ${name} is not served by this runner`);
    let entry = this.loaded.get(name);
    if (entry) {
      this.loaded.delete(name); // re-insert: Map order is recency order
      this.loaded.set(name, entry);
      return entry;
    }
    await this.evictFor();
    entry = this.load(name, dir);
    this.loaded.set(name, entry);
    entry.catch(() => this.loaded.delete(name));
    return entry;
  }

  async dispose(): Promise<void> {
    const all = await this.loadedModels();
    this.loaded.clear();
    await Promise.all(all.map((m) => m.pipeline.dispose()));
  }

  private async load(name: string, dir: string): Promise<LoadedModel> {
    const started = performance.now();
    const pipeline = await loadPipeline(dir, {
      executionProviders: this.options.executionProviders,
    });
    const providers = Object.fromEntries(
      pipeline.executionProviders.map((line) => {
        const [label, provider] = line.split(': ');
        return [label, provider];
      }),
    );
    const model = { name, pipeline, providers, loadMs: performance.now() - started };
    this.options.onLoad?.(model);
    return model;
  }

  private async evictFor(): Promise<void> {
    while (this.loaded.size >= this.options.capacity) {
      const victim = [...this.loaded.keys()].find((n) => (this.inUse.get(n) ?? 0) === 0);
      if (!victim) return; // every loaded model is busy: go over capacity for now
      const entry = this.loaded.get(victim);
      this.loaded.delete(victim);
      const model = await entry?.catch(() => null);
      await model?.pipeline.dispose();
    }
  }
}
