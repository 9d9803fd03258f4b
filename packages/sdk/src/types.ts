import type { components, paths } from './generated/api.ts';

type JsonBody<P extends keyof paths, M extends 'post'> = paths[P][M] extends {
  requestBody?: { content: { 'application/json': infer B } };
}
  ? B
  : never;

/** A job as the API returns it. */
export type Job = components['schemas']['Job'];
export type JobList = components['schemas']['JobList'];
export type JobStatus = Job['status'];
export type JobKind = Job['kind'];
export type JobOutput = Job['outputs'][number];
export type Txt2ImgRequest = components['schemas']['Txt2ImgRequest'];
export type Img2ImgRequest = components['schemas']['Img2ImgRequest'];
export type InpaintRequest = components['schemas']['InpaintRequest'];
export type AnimateRequest = components['schemas']['AnimateRequest'];
export type DeforumSettings = components['schemas']['DeforumSettings'];
export type Webhook = components['schemas']['Webhook'];
export type Token = components['schemas']['Token'];
export type TokenRequest = components['schemas']['TokenRequest'];
export type GenerationsRequest = JsonBody<'/v1/images/generations', 'post'>;
export type Usage = paths['/v1/usage']['get']['responses'][200]['content']['application/json'];
export type ModelList = paths['/v1/models']['get']['responses'][200]['content']['application/json'];
export type GenerationsResponse =
  paths['/v1/images/generations']['post']['responses'][200]['content']['application/json'];

/**
 * The events of `GET /v1/jobs/{id}/events` (Server-Sent Events are outside what OpenAPI
 * describes, so these are written here; tests check them against the live stream).
 */
export type JobEvent =
  | { id: number; type: 'queued'; data: { attempt: number } }
  | { id: number; type: 'started'; data: { attempt: number; runner_id: string } }
  | {
      id: number;
      type: 'progress';
      data: {
        step: number;
        total_steps: number;
        frame?: number;
        frames?: number;
        preview?: string;
      };
    }
  | { id: number; type: 'output'; data: JobOutput }
  | { id: number; type: 'succeeded'; data: { credits: number } }
  | { id: number; type: 'failed'; data: { error: { code: string; message: string } } }
  | { id: number; type: 'canceled'; data: { credits: number } };

export const TERMINAL_EVENTS = new Set(['succeeded', 'failed', 'canceled']);
