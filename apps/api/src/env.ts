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

/** One dispatcher holds the queue: one consistent order and one place that hands out leases. */
export function dispatcherOf(env: Env) {
  return env.DISPATCHER.get(env.DISPATCHER.idFromName('global')) as unknown as RpcOf<Dispatcher>;
}
