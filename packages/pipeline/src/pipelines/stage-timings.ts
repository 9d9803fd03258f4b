/** Wall-clock milliseconds per pipeline stage, for the CLI's report and the benchmarks. */
export class StageTimings {
  readonly ms: Record<string, number> = {};

  add(stage: string, ms: number): void {
    this.ms[stage] = (this.ms[stage] ?? 0) + ms;
  }

  async time<T>(stage: string, work: () => Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      return await work();
    } finally {
      this.add(stage, performance.now() - start);
    }
  }
}
