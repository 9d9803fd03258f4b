import type { JobOutput } from './types.ts';

/** One output of a finished job: its signed URL (valid for an hour) and its bytes on demand. */
export class OutputFile {
  readonly url: string;
  readonly seed: number;
  readonly width: number;
  readonly height: number;
  readonly contentType: string;

  constructor(
    output: JobOutput,
    private readonly fetcher: typeof fetch,
  ) {
    this.url = output.url;
    this.seed = output.seed;
    this.width = output.width;
    this.height = output.height;
    this.contentType = output.content_type;
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    return (await this.download()).arrayBuffer();
  }

  async bytes(): Promise<Uint8Array> {
    return new Uint8Array(await this.arrayBuffer());
  }

  async blob(): Promise<Blob> {
    return (await this.download()).blob();
  }

  private async download(): Promise<Response> {
    const response = await this.fetcher(this.url);
    if (!response.ok) throw new Error(`Downloading ${this.url} failed: ${response.status}`);
    return response;
  }
}
