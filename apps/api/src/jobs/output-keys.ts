import type { JobOutput } from './job-record.ts';

/**
 * Where a runner's upload lives in R2: under the lease that made it, so a later attempt's lease
 * can never complete with (or overwrite) an earlier attempt's files.
 */
export const uploadKey = (jobId: string, leaseId: string, name: string) =>
  `outputs/${jobId}/${leaseId}/${name}`;

/** The R2 key of a finished job's output (records from before per-lease keys used the name). */
export const outputKey = (jobId: string, output: JobOutput) =>
  output.key ?? `outputs/${jobId}/${output.name}`;
