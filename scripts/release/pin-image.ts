/**
 * Writes an image tag into an environment's release pin: `npm run release:pin -- <env> <commit-sha>`.
 *
 * The release workflow runs it for staging with the commit it just built and pushed; `npm run synth` then renders the
 * pin into charts-out/staging/ and the production candidate. Only a full commit SHA is accepted, so the pin always
 * names an immutable image that CI built; production is refused (it moves by promotion).
 */
import { environmentNamed } from '../../platform/environments.js';
import { isCommitSha, isPromotedEnvironment, readPin, writePin } from '../../platform/pins.js';
import { fail, reportOutputs } from './cli.js';

function main(args: readonly string[]): void {
  const [envName, tag, ...rest] = args;
  if (!envName || !tag || rest.length > 0) fail('usage: npm run release:pin -- <environment> <commit-sha>');
  const env = environmentNamed(envName);
  if (isPromotedEnvironment(env.name)) {
    fail(
      `${env.name} is not released to directly: it moves by promotion (npm run promote), image and manifests together`,
    );
  }
  if (!isCommitSha(tag)) {
    fail(
      `refusing image tag ${JSON.stringify(tag)}: the release pin takes the full 40-hex commit SHA the image was built from`,
    );
  }
  const before = readPin(env.name).imageTag;
  writePin(env.name, { imageTag: tag });
  const changed = before !== tag;
  console.log(changed ? `${env.name}: ${before} -> ${tag}` : `${env.name}: already at ${tag}, unchanged`);
  reportOutputs({ tag, changed: String(changed) });
}

try {
  main(process.argv.slice(2));
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}
