import { shardCount, shardName, shardOfJob } from './dispatch-shards.ts';
import type { Account } from './durable-objects/account.ts';
import type { Dispatcher } from './durable-objects/dispatcher.ts';

/**
 * The worker's bindings, as `wrangler types` generates them from the root wrangler.toml into
 * apps/api/worker-configuration.d.ts (`npm run types -w @sdedge/api`; typecheck fails when the
 * file is older than the config).
 */
export type Env = Cloudflare.Env;

/**
 * A Durable Object's methods as its RPC stub runs them (always async). Our records are plain
 * JSON data, which RPC carries as is; this spares the compiler the deep structural mapping of
 * the generated stub types.
 */
export type RpcOf<T> = {
  [K in keyof T as T[K] extends (...args: never[]) => unknown ? K : never]: T[K] extends (
    ...args: infer A
  ) => infer R
    ? (...args: A) => Promise<Awaited<R>>
    : never;
};

export function accountOf(env: Env, keyId: string) {
  return env.ACCOUNTS.get(env.ACCOUNTS.idFromName(keyId)) as unknown as RpcOf<Account>;
}

/**
 * The Dispatcher shard that holds job `jobId` (see dispatch-shards.ts): each job lives in one
 * shard, which alone leases it, so a job still runs and completes at most once.
 */
export function dispatcherOf(env: Env, jobId: string) {
  return shardStub(env, shardOfJob(jobId));
}

/** Every Dispatcher shard new jobs go to (for leases, revocations, listings). */
export function allDispatchers(env: Env) {
  return Array.from({ length: shardCount(env) }, (_, n) => shardStub(env, n));
}

function shardStub(env: Env, shard: number) {
  return env.DISPATCHER.get(
    env.DISPATCHER.idFromName(shardName(shard)),
  ) as unknown as RpcOf<Dispatcher>;
}
