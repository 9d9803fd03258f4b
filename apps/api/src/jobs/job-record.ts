import { signOutputPath } from './signed-urls.ts';

export const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'canceled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export const JOB_KINDS = ['txt2img', 'img2img', 'inpaint', 'animate'] as const;
export type JobKind = (typeof JOB_KINDS)[number];
export const JOB_EVENT_TYPES = [
  'queued',
  'started',
  'progress',
  'output',
  'succeeded',
  'failed',
  'canceled',
] as const;
export type JobEventType = (typeof JOB_EVENT_TYPES)[number];

/** JSON values: what job inputs are (and what Durable Object RPC carries as is). */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

export const isTerminal = (status: JobStatus) =>
  status === 'succeeded' || status === 'failed' || status === 'canceled';

export interface JobProgress {
  step: number;
  total_steps: number;
  frame?: number;
  frames?: number;
}

export interface JobOutput {
  /** The output's name in its URL (`0.png`, `video.mp4`). */
  name: string;
  /** Its R2 key (set by the Dispatcher at completion: the uploading lease's folder). */
  key?: string;
  seed: number;
  width: number;
  height: number;
  content_type: string;
}

export interface WebhookTarget {
  url: string;
  events: JobEventType[];
}

/** A job as the Dispatcher stores it (plain data: it crosses the Durable Object RPC boundary). */
export interface JobRecord {
  id: string;
  seq: number;
  keyId: string;
  kind: JobKind;
  model: string;
  status: JobStatus;
  /** The validated request, minus its images (those are in R2 under inputs/{job id}/). */
  input: Record<string, Json>;
  /** Names of the input images in R2 (`init_image`, `mask_image`). */
  inputImages: string[];
  cost: number;
  charged: number | null;
  attempts: number;
  progress: JobProgress | null;
  outputs: JobOutput[];
  error: { code: string; message: string } | null;
  runnerSeconds: number | null;
  webhook: WebhookTarget | null;
  baseUrl: string;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** Seconds a poller should wait before asking again: soon while running, later while queued. */
export function pollAfterSeconds(job: JobRecord): number | null {
  if (isTerminal(job.status)) return null;
  return job.status === 'running' ? 1 : 2;
}

/** The job as the public API shows it; output URLs are signed links valid for an hour. */
export async function toPublicJob(job: JobRecord, signingSecret: string, now = Date.now()) {
  const base = `${job.baseUrl}/v1/jobs/${job.id}`;
  const outputs = await Promise.all(
    job.outputs.map(async (output) => {
      const path = `/v1/outputs/${job.id}/${output.name}`;
      const expires = Math.floor(now / 1000) + 3600;
      const signature = await signOutputPath(signingSecret, path, expires);
      return {
        url: `${job.baseUrl}${path}?expires=${expires}&signature=${signature}`,
        seed: output.seed,
        width: output.width,
        height: output.height,
        content_type: output.content_type,
      };
    }),
  );
  return {
    id: job.id,
    object: 'job' as const,
    kind: job.kind,
    model: job.model,
    status: job.status,
    input: job.input,
    progress: job.progress,
    outputs,
    error: job.error,
    usage: {
      credits_reserved: job.cost,
      credits: job.charged,
      runner_seconds: job.runnerSeconds,
    },
    attempts: job.attempts,
    created_at: iso(job.createdAt) as string,
    started_at: iso(job.startedAt),
    finished_at: iso(job.finishedAt),
    poll_after_seconds: pollAfterSeconds(job),
    urls: { get: base, stream: `${base}/events`, cancel: `${base}/cancel` },
  };
}

export type PublicJob = Awaited<ReturnType<typeof toPublicJob>>;
