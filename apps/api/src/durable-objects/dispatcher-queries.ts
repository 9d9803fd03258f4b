/**
 * The Dispatcher's queries on the request path and in the alarm. Each is answered from an index
 * of dispatcher-schema.ts (test/dispatcher-schema.test.ts asks SQLite for every plan), so none
 * scans the job history. A partial index serves a query only when the query repeats the index's
 * WHERE terms, which is why they are spelled out here exactly as there.
 */
/** Rows one call takes from a backlog (expired leases, unwritten history, ...); the rest next time. */
export const BATCH = 200;

export const Q = {
  jobById: 'SELECT * FROM jobs WHERE id = ?',
  /** See jobSeq in dispatch-shards.ts: (?1 = the time-based floor). */
  nextSeq: "UPDATE counters SET value = MAX(value + 64, ?) WHERE name = 'job_seq' RETURNING value",
  /** Fair order: the key with the fewest running jobs first, then the oldest job. */
  nextEligible: `SELECT j.id FROM jobs j
    WHERE j.status = 'queued' AND j.model IN (SELECT value FROM json_each(?))
    ORDER BY (SELECT COUNT(*) FROM jobs r WHERE r.key_id = j.key_id AND r.status = 'running'), j.seq
    LIMIT 1`,
  expiredLeases:
    "SELECT id, attempts FROM jobs WHERE status = 'running' AND lease_deadline < ? ORDER BY lease_deadline LIMIT ?",
  nextLeaseDeadline: "SELECT MIN(lease_deadline) AS t FROM jobs WHERE status = 'running'",
  overdueQueued:
    "SELECT id, queue_timeout FROM jobs WHERE status = 'queued' AND queue_deadline < ? ORDER BY queue_deadline LIMIT ?",
  queuedOfKey: "SELECT id FROM jobs WHERE key_id = ? AND status = 'queued' ORDER BY seq",
  isRevoked: 'SELECT 1 FROM revoked_keys WHERE key_id = ?',
  nextQueueDeadline: "SELECT MIN(queue_deadline) AS t FROM jobs WHERE status = 'queued'",
  // Named: without statistics SQLite would pick jobs_finished and read every finished job.
  unsettled:
    'SELECT id FROM jobs INDEXED BY jobs_unsettled WHERE settled = 0 AND finished_at IS NOT NULL ORDER BY finished_at LIMIT ?',
  unmirrored: 'SELECT id FROM jobs WHERE mirrored = 0 ORDER BY seq LIMIT ?',
  oldestFinished: 'SELECT MIN(finished_at) AS t FROM jobs WHERE finished_at IS NOT NULL',
  /** Finished before the cutoff, settled, in D1, and no webhook still to deliver. */
  prunable: `SELECT id FROM jobs WHERE finished_at IS NOT NULL AND finished_at < ?
    AND settled = 1 AND mirrored = 1
    AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.job_id = jobs.id AND d.status = 'pending')
    ORDER BY finished_at LIMIT ?`,
  nextEventSeq: 'SELECT COALESCE(MAX(seq), 0) + 1 AS s FROM events WHERE job_id = ?',
  eventsAfter: 'SELECT seq, type, data FROM events WHERE job_id = ? AND seq > ? ORDER BY seq',
  nextDeliveryAt: "SELECT MIN(next_at) AS t FROM deliveries WHERE status = 'pending'",
  dueDeliveries:
    "SELECT * FROM deliveries WHERE status = 'pending' AND next_at <= ? ORDER BY next_at LIMIT ?",
} as const;
