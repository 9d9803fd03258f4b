import {
  decodeImage,
  encodeGif,
  encodeMp4,
  type GenerationResult,
  type RgbImage,
  renderAnimation,
  SdedgeError,
} from '@sdedge/pipeline/node';
import { failureOf } from './failure-codes.ts';
import { animateJob, imageJobOptions } from './job-input.ts';
import { LeaseKeeper } from './lease-keeper.ts';
import type { RunnerMetrics } from './metrics.ts';
import type { LoadedModel, PipelineCache } from './pipeline-cache.ts';
import { previewDataUrl } from './preview.ts';
import { ProgressReporter } from './progress-reporter.ts';
import {
  type Lease,
  LeaseLostError,
  type OutputRecord,
  type ProgressEvent,
  type RunnerApi,
} from './runner-api.ts';

export type JobOutcome = 'succeeded' | 'failed' | 'retried' | 'canceled' | 'lost';

export interface JobContext {
  api: RunnerApi;
  cache: PipelineCache;
  metrics: RunnerMetrics;
  leaseSeconds: number;
  previewEvery: number;
  /** Aborted when the runner must give the job up (SIGTERM past the grace period). */
  shutdown: AbortSignal;
}

interface Output extends OutputRecord {
  bytes: Uint8Array;
}

/**
 * Runs one leased job to its end: inputs down, the pipeline, progress and previews up, outputs
 * uploaded under this lease, then complete, or fail with a code and whether a retry could help.
 * A canceled job or a lost lease stops within a step and sends nothing more.
 */
export async function runJob(lease: Lease, ctx: JobContext): Promise<JobOutcome> {
  const { job } = lease;
  const started = performance.now();
  const controller = new AbortController();
  const onShutdown = () => controller.abort('shutdown');
  ctx.shutdown.addEventListener('abort', onShutdown, { once: true });
  const keeper = new LeaseKeeper(
    ctx.api,
    job.id,
    lease.lease_id,
    controller,
    Math.max(500, Math.min(5000, (ctx.leaseSeconds * 1000) / 3)),
  );
  const reporter = new ProgressReporter({
    send: (events) => ctx.api.events(job.id, lease.lease_id, events),
    onStop: (reason) => controller.abort(reason),
  });
  const seconds = () => (performance.now() - started) / 1000;
  const stage = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    const end = ctx.metrics.stageSeconds.startTimer({ stage: name });
    try {
      return await work();
    } finally {
      end();
    }
  };
  try {
    const images = await stage('download', () => downloadInputs(lease, ctx.api));
    const outputs = await ctx.cache.with(job.model, (model) =>
      stage('generate', () =>
        job.kind === 'animate'
          ? renderVideo(lease, model, reporter, controller.signal, ctx)
          : renderImages(lease, model, images, reporter, controller.signal, ctx),
      ),
    );
    await reporter.flush();
    throwIfStopped(controller.signal);
    await stage('upload', () =>
      Promise.all(
        outputs.map((o) => ctx.api.upload(job.id, lease.lease_id, o.name, o.bytes, o.content_type)),
      ),
    );
    await stage('complete', () =>
      ctx.api.complete(
        job.id,
        lease.lease_id,
        seconds(),
        outputs.map(({ bytes: _b, ...record }) => record),
      ),
    );
    return 'succeeded';
  } catch (caught) {
    reporter.stop();
    const reason = controller.signal.aborted ? controller.signal.reason : caught;
    if (reason === 'canceled') return 'canceled';
    if (reason instanceof LeaseLostError || caught instanceof LeaseLostError) return 'lost';
    const failure =
      reason === 'shutdown'
        ? { code: 'runner_shutdown', message: 'The runner shut down mid-job.', retryable: true }
        : failureOf(caught);
    try {
      await ctx.api.fail(job.id, lease.lease_id, { ...failure, runner_seconds: seconds() });
    } catch (error) {
      if (error instanceof LeaseLostError) return 'lost';
      // The lease expires and the API requeues the job: nothing is lost.
      console.error(
        `[runner] could not report the failure of ${job.id}: ${(error as Error).message}`,
      );
    }
    if (!failure.retryable) console.warn(`[runner] job ${job.id} failed: ${failure.message}`);
    return failure.retryable ? 'retried' : 'failed';
  } finally {
    keeper.stop();
    reporter.stop();
    ctx.shutdown.removeEventListener('abort', onShutdown);
  }
}

async function downloadInputs(lease: Lease, api: RunnerApi): Promise<Record<string, RgbImage>> {
  const images: Record<string, RgbImage> = {};
  for (const input of lease.job.input_images)
    images[input.name] = decodeImage(await api.input(lease.job.id, input.url));
  return images;
}

async function renderImages(
  lease: Lease,
  model: LoadedModel,
  images: Record<string, RgbImage>,
  reporter: ProgressReporter,
  signal: AbortSignal,
  ctx: JobContext,
): Promise<Output[]> {
  const { job } = lease;
  let steps = 0;
  const options = {
    ...imageJobOptions(job),
    signal,
    previewEvery: ctx.previewEvery,
    onStep: ({
      step,
      totalSteps,
      preview,
    }: {
      step: number;
      totalSteps: number;
      preview?: RgbImage;
    }) => {
      ctx.metrics.steps.inc();
      steps++;
      const event: ProgressEvent = { type: 'progress', step, total_steps: totalSteps };
      if (preview) event.preview = previewDataUrl(preview);
      reporter.report(event);
    },
  };
  const started = performance.now();
  const pipe = model.pipeline;
  let result: GenerationResult;
  if (job.kind === 'txt2img') result = await pipe.txt2img(options);
  else if (job.kind === 'img2img')
    result = await pipe.img2img({ ...options, image: requireImage(images, 'init_image') });
  else
    result = await pipe.inpaint({
      ...options,
      image: requireImage(images, 'init_image'),
      mask: requireImage(images, 'mask_image'),
    });
  ctx.metrics.stepsPerSecond.set(
    { model: job.model },
    steps / ((performance.now() - started) / 1000),
  );
  for (const [name, ms] of Object.entries(result.timings))
    if (name !== 'total')
      ctx.metrics.stageSeconds.observe({ stage: `pipeline_${name}` }, ms / 1000);
  return result.images.map((image, i) => ({
    name: `${i}.png`,
    seed: image.seed,
    width: image.image.width,
    height: image.image.height,
    content_type: 'image/png',
    bytes: image.toPng(),
  }));
}

async function renderVideo(
  lease: Lease,
  model: LoadedModel,
  reporter: ProgressReporter,
  signal: AbortSignal,
  ctx: JobContext,
): Promise<Output[]> {
  const { settings, format, ignoredKeys } = animateJob(lease.job);
  if (ignoredKeys.length > 0)
    console.log(
      `[runner] job ${lease.job.id}: settings not used by sdedge: ${ignoredKeys.join(', ')}`,
    );
  let preview: string | undefined;
  const result = await renderAnimation(model.pipeline, settings, {
    signal,
    onProgress: ({ frame, frames, step, totalSteps }) => {
      ctx.metrics.steps.inc();
      const event: ProgressEvent = {
        type: 'progress',
        step,
        total_steps: totalSteps,
        frame,
        frames,
      };
      if (preview) event.preview = preview;
      preview = undefined;
      reporter.report(event);
    },
    onFrame: (frame, index) => {
      if (ctx.previewEvery > 0 && index % Math.max(1, settings.cadence) === 0)
        preview = previewDataUrl(frame);
    },
  });
  if (result.canceled) throwIfStopped(signal);
  const end = ctx.metrics.stageSeconds.startTimer({ stage: 'encode' });
  const bytes =
    format === 'gif'
      ? encodeGif(result.frames, settings.fps)
      : await encodeMp4(result.frames, settings.fps);
  end();
  return [
    {
      name: `video.${format}`,
      seed: settings.seed,
      width: settings.width,
      height: settings.height,
      content_type: format === 'gif' ? 'image/gif' : 'video/mp4',
      bytes,
    },
  ];
}

function requireImage(images: Record<string, RgbImage>, name: string): RgbImage {
  const image = images[name];
  if (!image) throw new SdedgeError('invalid_image', `The job has no ${name}.`);
  return image;
}

function throwIfStopped(signal: AbortSignal) {
  if (signal.aborted) throw new SdedgeError('canceled', 'The job was stopped.');
}
