import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EMBEDDED_MODEL_DIR } from '@sdedge/pipeline/node';
import { describe, expect, it } from 'vitest';
import { readConfig } from '../src/config.ts';
import { findModels } from '../src/model-catalog.ts';
import { PipelineCache } from '../src/pipeline-cache.ts';
import { Runner } from '../src/runner.ts';

describe('models', () => {
  it('serves each diffusers folder of the models dir under its name, and sdedge-micro always', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sdedge-models-'));
    mkdirSync(join(dir, 'my-model'));
    writeFileSync(join(dir, 'my-model', 'model_index.json'), '{}');
    mkdirSync(join(dir, 'not-a-model'));
    symlinkSync(EMBEDDED_MODEL_DIR, join(dir, 'linked'));
    expect([...findModels(dir).keys()].sort()).toEqual(['linked', 'my-model', 'sdedge-micro']);
    expect([...findModels(null).keys()]).toEqual(['sdedge-micro']);
    expect(() => findModels(join(dir, 'missing'))).toThrow(/does not exist/);
  });

  it('keeps at most `capacity` pipelines, disposing the least recently used', async () => {
    const dirs = new Map([
      ['a', EMBEDDED_MODEL_DIR],
      ['b', EMBEDDED_MODEL_DIR],
    ]);
    const cache = new PipelineCache(dirs, { capacity: 1, executionProviders: ['cpu'] });
    const a = await cache.get('a');
    await cache.get('b');
    expect((await cache.loadedModels()).map((m) => m.name)).toEqual(['b']);
    await expect(a.pipeline.txt2img({ prompt: 'x', steps: 1 })).rejects.toThrow(/disposed/);
    await expect(cache.get('c')).rejects.toThrow(/not served/);
    await cache.dispose();
  });

  it('reports the provider each session got, and warns when cuda was asked for and not got', async () => {
    const runner = new Runner(readConfig({ SDEDGE_EXECUTION_PROVIDERS: 'cuda,cpu' }));
    const warn = console.warn;
    const warnings: string[] = [];
    console.warn = (line: string) => warnings.push(line);
    try {
      await runner.warmUp();
    } finally {
      console.warn = warn;
    }
    const status = await runner.status();
    expect(status.ready).toBe(true);
    expect(status.models[0]).toMatchObject({ name: 'sdedge-micro', loaded: true });
    expect(Object.values(status.models[0]?.providers ?? {})).toEqual(['cpu', 'cpu', 'cpu', 'cpu']);
    expect(status.execution_providers.warning).toMatch(/cuda was requested but sdedge-micro got/);
    expect(warnings.join('\n')).toMatch(/WARNING: cuda was requested/);
    await runner.dispose();
  });
});
