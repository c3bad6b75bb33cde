/**
 * Prints where the release image goes, from platform/ (the single source of the account, region and repository):
 * `npm run --silent release:image -- <environment>` → registry, repository (URI), repositoryName, region.
 * The release workflow reads them from $GITHUB_OUTPUT instead of repeating them in YAML.
 */
import { environmentNamed, imageRepository } from '../../platform/environments.js';
import { service } from '../../platform/service.js';
import { fail, reportOutputs } from './cli.js';

try {
  const [envName = 'staging', ...rest] = process.argv.slice(2);
  if (rest.length > 0) fail('usage: npm run release:image -- [<environment>]');
  const env = environmentNamed(envName);
  const repository = imageRepository(env);
  const outputs = {
    registry: repository.slice(0, repository.indexOf('/')),
    repository,
    repositoryName: service.name,
    region: env.aws.region,
  };
  for (const [key, value] of Object.entries(outputs)) console.log(`${key}=${value}`);
  reportOutputs(outputs);
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}
