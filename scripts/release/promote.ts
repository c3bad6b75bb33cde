/**
 * Promotion: copies one environment's release pin into the next one's, `npm run promote -- [<from> <to>]`
 * (staging → production by default). `npm run synth` then renders the target environment with that image.
 */
import { environmentNamed } from '../../platform/environments.js';
import { readPin, writePin } from '../../platform/pins.js';
import { fail, reportOutputs } from './cli.js';

function main(args: readonly string[]): void {
  if (args.length !== 0 && args.length !== 2) fail('usage: npm run promote -- [<from-environment> <to-environment>]');
  const from = environmentNamed(args[0] ?? 'staging');
  const to = environmentNamed(args[1] ?? 'production');
  if (from.name === to.name) fail(`cannot promote ${from.name} onto itself`);
  const tag = readPin(from.name).imageTag;
  const before = readPin(to.name).imageTag;
  writePin(to.name, { imageTag: tag });
  const changed = before !== tag;
  console.log(
    changed ? `${to.name}: ${before} -> ${tag} (from ${from.name})` : `${to.name}: already at ${tag}, unchanged`,
  );
  reportOutputs({ tag, previous: before, changed: String(changed) });
}

try {
  main(process.argv.slice(2));
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}
