import { newId, randomToken } from './hashing.ts';

/**
 * The Dispatcher is sharded: DISPATCHER_SHARDS Durable Objects, each holding the queue, leases,
 * events and webhooks of its own jobs. A job's id names its shard (`job_s3_...`; shard 0 keeps
 * the plain `job_...` ids, which is also every job from before sharding), so any request about a
 * job goes straight to its shard, and the count can be raised without moving a job. (Lowering it
 * would strand the upper shards' queued jobs: only raise it.)
 *
 * Runners lease across the shards (jobs/lease-across-shards.ts). Fair order across keys holds
 * within each shard; since a key's jobs are spread over the shards at random, it holds across
 * them on average, not exactly.
 */
export const MAX_SHARDS = 64;

export function shardCount(env: { DISPATCHER_SHARDS?: string }): number {
  const n = Number(env.DISPATCHER_SHARDS ?? '1');
  return Number.isInteger(n) && n >= 1 && n <= MAX_SHARDS ? n : 1;
}

/** A new job's id, in a shard drawn at random. */
export function newJobId(env: { DISPATCHER_SHARDS?: string }): string {
  const shard = Math.floor(Math.random() * shardCount(env));
  return shard === 0 ? newId('job') : `job_s${shard}_${randomToken(20)}`;
}

export function shardOfJob(jobId: string): number {
  const match = /^job_s(\d{1,2})_/.exec(jobId);
  return match ? Number(match[1]) : 0;
}

/**
 * Job numbers (the listing's newest-first order and its cursor) must be unique and in creation
 * order across shards: a shard numbers its jobs max(previous + 64, floor) where the floor is
 * the creation time in ms x 1024 + the shard number. Every number of a shard is its shard
 * number modulo 64 (so no two shards share one), and the order across shards is creation time
 * to the millisecond (within a shard exactly). Below 2^53 until the year 2248.
 */
export function seqFloor(shard: number, now: number): number {
  return now * 1024 + shard;
}

/** Shard 0 keeps the name the single Dispatcher had, so its jobs stay where they are. */
export function shardName(shard: number): string {
  return shard === 0 ? 'global' : `shard-${shard}`;
}
