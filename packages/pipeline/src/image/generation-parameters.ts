/** The settings an image was made with, as AUTOMATIC1111 writes them into PNGs. */
export interface GenerationParameters {
  prompt: string;
  negativePrompt?: string;
  /** "Key: value" pairs in order: Steps, Sampler, CFG scale, Seed, Size, Model, ... */
  settings: Record<string, string>;
}

/**
 * Formats parameters as the `parameters` PNG text chunk of AUTOMATIC1111:
 * "prompt\nNegative prompt: ...\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 512x512".
 */
export function formatGenerationParameters(p: GenerationParameters): string {
  const settings = Object.entries(p.settings)
    .map(([key, value]) => `${key}: ${/[,:\n"]/.test(value) ? JSON.stringify(value) : value}`)
    .join(', ');
  const negative = p.negativePrompt ? `\nNegative prompt: ${p.negativePrompt}` : '';
  return `${p.prompt}${negative}\n${settings}`;
}

/** Reads the `parameters` text back (ours or AUTOMATIC1111's). */
export function parseGenerationParameters(text: string): GenerationParameters {
  const lines = text.split('\n');
  const last = lines[lines.length - 1] ?? '';
  const settings: Record<string, string> = {};
  const settingsPattern = /\s*([\w ./-]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)/g;
  const hasSettings = lines.length > 1 && /^\s*[\w ./-]+: /.test(last);
  if (hasSettings) {
    for (const match of last.matchAll(settingsPattern)) {
      const raw = match[2].trim();
      settings[match[1].trim()] = raw.startsWith('"') ? JSON.parse(raw) : raw;
    }
  }
  const body = hasSettings ? lines.slice(0, -1) : lines;
  const negativeAt = body.findIndex((line) => line.startsWith('Negative prompt:'));
  const promptLines = negativeAt === -1 ? body : body.slice(0, negativeAt);
  const negativeLines = negativeAt === -1 ? [] : body.slice(negativeAt);
  const negative = negativeLines.join('\n').replace(/^Negative prompt:\s?/, '');
  return {
    prompt: promptLines.join('\n'),
    ...(negative ? { negativePrompt: negative } : {}),
    settings,
  };
}
