/**
 * Where a model's files come from: a folder on disk (Node), URLs (browsers, Workers) or memory.
 * Paths are relative to the model root, with forward slashes ("unet/model.onnx").
 */
export interface ModelFiles {
  /** Human-readable location of a file, for error messages. */
  describe(path: string): string;
  /** The file's text, or undefined when it does not exist. */
  readText(path: string): Promise<string | undefined>;
  /** The file's bytes, or undefined when it does not exist. */
  readBytes(path: string): Promise<Uint8Array | undefined>;
  /**
   * What ONNX Runtime should load for a model file: a filesystem path where it can read the file
   * (and its external weights) itself, else the bytes plus any external weight files beside it.
   */
  sessionSource(path: string): Promise<SessionSource | undefined>;
  /** A short name for the model (the folder's name). */
  readonly name: string;
}

export interface SessionSource {
  model: string | Uint8Array;
  externalData?: { path: string; data: Uint8Array }[];
}

/** Conventional names of external weight files in diffusers / optimum ONNX exports. */
export const EXTERNAL_DATA_NAMES = ['model.onnx_data', 'weights.pb'];

/** Model files fetched over HTTP(S) (or from any fetch-able base URL). */
export function urlModelFiles(baseUrl: string, fetchImpl: typeof fetch = fetch): ModelFiles {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  const get = async (path: string) => {
    const response = await fetchImpl(new URL(path, base));
    if (response.status === 404) return undefined;
    if (!response.ok) throw new Error(`GET ${new URL(path, base)} answered ${response.status}`);
    return new Uint8Array(await response.arrayBuffer());
  };
  return {
    name: base.replace(/\/$/, '').split('/').pop() ?? 'model',
    describe: (path) => new URL(path, base).href,
    readBytes: get,
    async readText(path) {
      const bytes = await get(path);
      return bytes && new TextDecoder().decode(bytes);
    },
    async sessionSource(path) {
      return bytesWithExternalData(path, get);
    },
  };
}

/** Model files held in memory, keyed by relative path (tests, bundled models). */
export function memoryModelFiles(
  files: Record<string, Uint8Array | string>,
  name = 'memory',
): ModelFiles {
  const get = async (path: string) => {
    const value = files[path];
    return typeof value === 'string' ? new TextEncoder().encode(value) : value;
  };
  return {
    name,
    describe: (path) => `${name}:${path}`,
    readBytes: get,
    async readText(path) {
      const value = files[path];
      return typeof value === 'string' ? value : value && new TextDecoder().decode(value);
    },
    sessionSource: (path) => bytesWithExternalData(path, get),
  };
}

async function bytesWithExternalData(
  path: string,
  get: (path: string) => Promise<Uint8Array | undefined>,
): Promise<SessionSource | undefined> {
  const model = await get(path);
  if (!model) return undefined;
  const folder = path.includes('/') ? path.slice(0, path.lastIndexOf('/') + 1) : '';
  const externalData: { path: string; data: Uint8Array }[] = [];
  for (const name of EXTERNAL_DATA_NAMES) {
    const data = await get(folder + name);
    if (data) externalData.push({ path: name, data });
  }
  return { model, externalData };
}
