import { SdedgeError } from '../errors.ts';
import { missingProviders } from '../node.ts';

/** The execution providers onnxruntime-node can be asked for (by the names it takes). */
export const KNOWN_PROVIDERS = ['cuda', 'tensorrt', 'webgpu', 'cpu'];

/**
 * `--execution-provider a,b`: unknown names are refused; a GPU provider this install lacks is
 * said on stderr with how to get it, never dropped silently (the run continues on the rest).
 */
export function checkedProviders(list: string): string[] {
  const names = list.split(',').map((name) => name.trim());
  if (names.some((name) => name === ''))
    throw new SdedgeError(
      'invalid_argument',
      `--execution-provider takes a comma list of ${KNOWN_PROVIDERS.join(', ')}; got "${list}".`,
    );
  const unknown = names.filter((name) => !KNOWN_PROVIDERS.includes(name));
  if (unknown.length > 0)
    throw new SdedgeError(
      'invalid_argument',
      `Unknown execution provider ${unknown.join(', ')}; valid: ${KNOWN_PROVIDERS.join(', ')}.`,
    );
  const missing = missingProviders(names);
  if (missing.length > 0) {
    const rest = names.filter((name) => !missing.includes(name));
    process.stderr.write(
      `warning: ${missing.join(', ')} is not available in this install of onnxruntime-node (its CUDA files are fetched only with ONNXRUNTIME_NODE_INSTALL=cuda12 at npm install); running on ${rest.length > 0 ? rest.join(', ') : 'cpu'}.\n`,
    );
  }
  return names;
}
