import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { App, YamlOutputType } from 'cdk8s';
import { environments, gitRepository } from '../platform/environments.js';
import type { Environment } from '../platform/environments.js';
import { readPin } from '../platform/pins.js';
import { serverContract } from '../platform/server-contract.js';
import { ArgoCdChart } from './charts/argocd-chart.js';
import { EnvironmentChart } from './charts/environment-chart.js';

const outputFileExtension = '.yaml';

/**
 * The cdk8s CLI (`cdk8s synth`, with cdk8s.yaml) deletes its output folder, runs the app with CDK8S_OUTDIR set to
 * it and then looks for manifests there. This app always writes charts-out/ and argocd/ at the repository root (the
 * paths the Argo CD Applications read), so it accepts CDK8S_OUTDIR only when it is charts-out/ itself and refuses
 * anything else (`--output <dir>`, `--stdout`) rather than leave the CLI an empty folder.
 */
export function checkCliOutputDir(rootDir: string, cliOutputDir: string | undefined, cwd = process.cwd()): void {
  if (cliOutputDir === undefined || cliOutputDir === '') return;
  const chartsDir = join(rootDir, gitRepository.chartsDir);
  if (resolve(cwd, cliOutputDir) !== resolve(chartsDir)) {
    throw new Error(
      `this app always renders into ${chartsDir} and ${join(rootDir, gitRepository.argocdDir)}; ` +
        `the cdk8s CLI asked for "${cliOutputDir}" (--output and --stdout are not supported: use \`npm run synth\`)`,
    );
  }
}

/**
 * Renders every environment into <rootDir>/charts-out/<env>/ (one file per object, named <Kind>.<name>.yaml) and the
 * Argo CD objects into <rootDir>/argocd/. Both folders are emptied first, so an object removed from the code
 * disappears from the output.
 */
export function render(
  rootDir: string,
  envs: readonly Environment[] = environments,
  imageTagOf: (env: Environment) => string = (env) => readPin(env.name).imageTag,
): void {
  const chartsDir = join(rootDir, gitRepository.chartsDir);
  const argocdDir = join(rootDir, gitRepository.argocdDir);
  rmSync(chartsDir, { recursive: true, force: true });
  rmSync(argocdDir, { recursive: true, force: true });

  const manifests = new App({
    outdir: chartsDir,
    outputFileExtension,
    yamlOutputType: YamlOutputType.FOLDER_PER_CHART_FILE_PER_RESOURCE,
  });
  for (const env of envs) {
    new EnvironmentChart(manifests, env.name, { env, imageTag: imageTagOf(env), contract: serverContract });
  }

  const delivery = new App({
    outdir: argocdDir,
    outputFileExtension,
    yamlOutputType: YamlOutputType.FILE_PER_RESOURCE,
  });
  new ArgoCdChart(delivery, 'argocd', { environments: envs });

  manifests.synth();
  delivery.synth();
}
