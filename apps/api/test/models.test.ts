import { runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { Dispatcher } from '../src/durable-objects/dispatcher.ts';
import { MODEL_SERVED_WINDOW_MS } from '../src/routes/account.ts';
import { api, createKey, dispatcherStub, lease } from './helpers.ts';

type Models = { data: { id: string; last_served_at: string }[] };

const forgetRunners = () =>
  runInDurableObject(dispatcherStub(), (_d: Dispatcher, state) => {
    state.storage.sql.exec(
      'UPDATE served_models SET seen_at = ?',
      Date.now() - MODEL_SERVED_WINDOW_MS - 1,
    );
  });

describe('GET /v1/models', () => {
  it('lists only the models a runner has asked work for in the last 10 minutes', async () => {
    const key = await createKey();
    await forgetRunners();
    expect(((await (await api(key, '/v1/models')).json()) as Models).data).toEqual([]);

    const before = Date.now();
    await lease({ models: ['sdedge-micro', 'not-in-the-catalog'] });
    const listed = ((await (await api(key, '/v1/models')).json()) as Models).data;
    expect(listed.map((m) => m.id)).toEqual(['sdedge-micro']);
    expect(Date.parse(listed[0]?.last_served_at ?? '')).toBeGreaterThanOrEqual(before);

    await lease({ models: ['stable-diffusion-v1-5'] });
    expect(((await (await api(key, '/v1/models')).json()) as Models).data.map((m) => m.id)).toEqual(
      ['sdedge-micro', 'stable-diffusion-v1-5'],
    );

    await forgetRunners(); // no runner for over 10 minutes
    expect(((await (await api(key, '/v1/models')).json()) as Models).data).toEqual([]);
  });
});
