import type { Lease, LeaseRequest } from '../durable-objects/dispatcher.ts';
import { allDispatchers, dispatcherOf, type Env } from '../env.ts';
import { newId } from '../hashing.ts';

/**
 * A runner's lease over every Dispatcher shard (dispatch-shards.ts). First a pass that does not
 * wait, starting at a random shard so none is always first; if that finds nothing, one long poll
 * on every shard at once: the first shard with work answers, the others are told to stop
 * waiting. A shard that leased in the meantime (or more than the runner's capacity) has those
 * leases handed back at once (release: the attempt is not counted, the job is queued again), so
 * no job is held by a lease nobody received.
 */
export async function leaseAcrossShards(env: Env, request: LeaseRequest): Promise<Lease[]> {
  const shards = allDispatchers(env);
  if (shards.length === 1) return (shards[0] as (typeof shards)[number]).lease(request);
  const start = Math.floor(Math.random() * shards.length);
  const order = [...shards.slice(start), ...shards.slice(0, start)];

  const leases: Lease[] = [];
  for (const shard of order) {
    if (leases.length >= request.capacity) break;
    leases.push(
      ...(await shard.lease({
        ...request,
        capacity: request.capacity - leases.length,
        waitSeconds: 0,
      })),
    );
  }
  if (leases.length > 0 || request.waitSeconds <= 0) return leases;

  const pollId = newId('poll');
  const calls = order.map((shard) => shard.lease({ ...request, pollId }));
  const first = await new Promise<Lease[]>((resolve) => {
    let pending = calls.length;
    for (const call of calls)
      call.then(
        (found) => {
          if (found.length > 0) resolve(found);
          if (--pending === 0) resolve([]);
        },
        () => {
          if (--pending === 0) resolve([]);
        },
      );
  });
  const kept = new Set(first.slice(0, request.capacity).map((lease) => lease.leaseId));
  await Promise.all(order.map((shard) => shard.stopWaiting(pollId)));
  // Every lease the shards made for this poll that the runner does not get goes back.
  const made = (await Promise.allSettled(calls)).flatMap((r) =>
    r.status === 'fulfilled' ? r.value : [],
  );
  await Promise.all(
    made
      .filter((lease) => !kept.has(lease.leaseId))
      .map((lease) => dispatcherOf(env, lease.job.id).release(lease.job.id, lease.leaseId)),
  );
  return made.filter((lease) => kept.has(lease.leaseId));
}
