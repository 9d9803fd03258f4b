import { describe, expect, it } from 'vitest';
import { COMMAND_HELP } from '../src/cli/cli-options.ts';
import { GENERATION_OPTIONS } from '../src/cli/generate-commands.ts';

// refuseForeignOptions trusts COMMAND_HELP: an option parsed but missing there would be refused,
// one listed there but not parsed would be accepted and ignored.
describe('the CLI option tables', () => {
  it('list, for the generation commands together, exactly the options parseArgs reads', () => {
    const helped = new Set(
      ['txt2img', 'img2img', 'inpaint'].flatMap((c) => Object.keys(COMMAND_HELP[c]?.options ?? {})),
    );
    helped.delete('api'); // taken out before parseArgs (remote-commands.ts)
    expect([...helped].sort()).toEqual(Object.keys(GENERATION_OPTIONS).sort());
  });
});
