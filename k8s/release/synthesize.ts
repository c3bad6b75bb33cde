/**
 * What `npm run synth` writes, environment by environment (the promotion model of docs/delivery.md):
 *
 * - the release environment (staging) follows main: charts-out/staging/ is this commit's k8s/ rendered with the
 *   staging pin's image;
 * - every promoted environment (production) gets a candidate, charts-out/candidates/<env>/: this commit's k8s/ rendered
 *   for it with the staging image, what a promotion of this commit would deploy. Argo CD never reads it. A promotion PR
 *   is reviewable as `git diff --no-index charts-out/production charts-out/candidates/production` before it is opened;
 * - charts-out/<promoted env>/, the folder Argo CD syncs, is a byte-for-byte copy of the candidate at the commit its
 *   pin names (`renderedFrom`), read from git. A merge to main therefore changes staging and the candidates only;
 *   production moves when a promotion moves its pin, and then image and manifests move together;
 * - the promoted environment's Argo CD Application (sync policy, namespace labels, ignored fields) is promoted the same
 *   way: its candidate is charts-out/candidates/argocd/<file>, and argocd/<file> is that candidate at `renderedFrom`.
 *   Before the first promotion (nothing runs there yet) it is this commit's render;
 * - an environment with no released image gets only a placeholder ConfigMap: nothing Argo CD would try to run. Until its
 *   first release, the release environment's full render sits in charts-out/candidates/staging/ for review (Argo CD
 *   never reads it); the release that makes charts-out/staging/ real removes it.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import { environments as platformEnvironments, gitRepository } from '../../platform/environments.js';
import { service } from '../../platform/service.js';
import type { Environment } from '../../platform/environments.js';
import { isPromotedEnvironment, isReleased, parsePin, readPin, releaseEnvironment } from '../../platform/pins.js';
import type { ReleasePin } from '../../platform/pins.js';
import { components, instanceName, labelKeys } from '../lib/labels.js';
import { render } from '../render.js';
import { git, gitShow, resolveCommit } from './git.js';

/**
 * Where the candidate of an environment is rendered, relative to the repository root: a promoted environment's always,
 * the release environment's only before its first release.
 */
export function candidatePath(envName: string): string {
  return `${gitRepository.chartsDir}/candidates/${envName}`;
}

/** The Argo CD Application file of an environment (what its cluster's root app applies), relative to the root. */
export function applicationPath(env: Environment): string {
  return `${gitRepository.argocdDir}/Application.${instanceName(env)}.yaml`;
}

/** Where the Application a promotion of this commit would apply is rendered, relative to the repository root. */
export function candidateApplicationPath(env: Environment): string {
  return `${gitRepository.chartsDir}/candidates/${applicationPath(env)}`;
}

/** The folder Argo CD syncs for an environment, relative to the repository root. */
export function environmentPath(envName: string): string {
  return `${gitRepository.chartsDir}/${envName}`;
}

/** Renders charts-out/<env>/ for every environment and argocd/ into `outDir` with the given image tags. */
export type RenderEnvironments = (
  outDir: string,
  envs: readonly Environment[],
  imageTagOf: (env: Environment) => string,
) => void;

export interface SynthesizeOptions {
  /** The git work tree whose pins and history decide what is rendered. @default the output folder itself */
  readonly repoDir?: string;
  readonly environments?: readonly Environment[];
  /** @default the cdk8s app, k8s/render.ts */
  readonly renderEnvironments?: RenderEnvironments;
}

/** Writes charts-out/ and argocd/ into `rootDir` (the repository root for `npm run synth`). */
export function synthesize(rootDir: string, options: SynthesizeOptions = {}): void {
  const envs = options.environments ?? platformEnvironments;
  const renderEnvironments = options.renderEnvironments ?? render;
  const repoDir = options.repoDir ?? rootDir;
  const pinsDir = join(repoDir, 'platform/pins');
  if (!envs.some((env) => env.name === releaseEnvironment)) {
    throw new Error(`the release environment "${releaseEnvironment}" is not among the environments`);
  }
  const releasePin = readPin(releaseEnvironment, pinsDir);
  // Read every pin (and every promoted render from git) before deleting anything: a bad pin leaves the tree as it was.
  const promoted = new Map(
    envs
      .filter((env) => isPromotedEnvironment(env.name))
      .map((env) => {
        const pin = readPin(env.name, pinsDir);
        return [env.name, isReleased(pin) ? promotedFiles(repoDir, env, pin) : undefined] as const;
      }),
  );

  const scratch = mkdtempSync(join(tmpdir(), 'synth-'));
  try {
    // Every environment is rendered with the release environment's image: staging as it runs, the others as the
    // candidates a promotion of this commit would deploy.
    renderEnvironments(scratch, envs, () => releasePin.imageTag);
    for (const dir of [gitRepository.chartsDir, gitRepository.argocdDir]) {
      rmSync(join(rootDir, dir), { recursive: true, force: true });
    }
    cpSync(join(scratch, gitRepository.argocdDir), join(rootDir, gitRepository.argocdDir), { recursive: true });
    const released = isReleased(releasePin);
    for (const env of envs) {
      const rendered = join(scratch, environmentPath(env.name));
      if (!isPromotedEnvironment(env.name)) {
        if (released) cpSync(rendered, join(rootDir, environmentPath(env.name)), { recursive: true });
        else {
          writePlaceholder(rootDir, env);
          cpSync(rendered, join(rootDir, candidatePath(env.name)), { recursive: true });
        }
        continue;
      }
      // Rendered even before the first release (with the image tag "unreleased"), so the manifests can be reviewed.
      cpSync(rendered, join(rootDir, candidatePath(env.name)), { recursive: true });
      const renderedApplication = join(rootDir, applicationPath(env));
      mkdirSync(dirname(join(rootDir, candidateApplicationPath(env))), { recursive: true });
      cpSync(renderedApplication, join(rootDir, candidateApplicationPath(env)));
      const files = promoted.get(env.name);
      if (!files) {
        writePlaceholder(rootDir, env);
        continue;
      }
      for (const [name, text] of files.manifests) {
        mkdirSync(join(rootDir, environmentPath(env.name)), { recursive: true });
        writeFileSync(join(rootDir, environmentPath(env.name), name), text);
      }
      writeFileSync(renderedApplication, files.application);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** What a promoted environment runs: the files of its candidate folder and its Application, at one commit. */
interface PromotedFiles {
  /** File name → content, for charts-out/<env>/. */
  readonly manifests: Map<string, string>;
  /** The content of argocd/Application.<instance>.yaml. */
  readonly application: string;
}

/**
 * The files of charts-out/candidates/<env>/ and the candidate Application at the commit the pin names, after checking
 * that this candidate was rendered with the image the pin names (the staging pin of that commit).
 */
export function promotedFiles(rootDir: string, env: Environment, pin: ReleasePin): PromotedFiles {
  const envName = env.name;
  const commit = pin.renderedFrom;
  const source = `platform/pins/${envName}.json`;
  if (!commit) {
    throw new Error(`${source}: a released ${envName} pin needs "renderedFrom" (write it with npm run promote)`);
  }
  if (resolveCommit(rootDir, commit) !== commit) {
    throw new Error(
      `${source} promotes commit ${commit}, which this clone does not have: fetch the history (git fetch --unshallow)`,
    );
  }
  const stagingPinText = gitShow(rootDir, commit, `platform/pins/${releaseEnvironment}.json`);
  const stagingPin = stagingPinText === undefined ? undefined : parsePin(stagingPinText, `${commit}:${source}`);
  if (stagingPin?.imageTag !== pin.imageTag) {
    throw new Error(
      `${source} names image ${pin.imageTag}, but ${releaseEnvironment} ran ${stagingPin?.imageTag ?? 'nothing'} at ` +
        `${commit}: promote with npm run promote instead of editing the pin`,
    );
  }
  const folder = candidatePath(envName);
  const paths = git(rootDir, ['ls-tree', '-r', '--name-only', commit, '--', `${folder}/`])
    .split('\n')
    .filter(Boolean);
  if (paths.length === 0) throw new Error(`${source}: commit ${commit} holds no ${folder}/ to promote`);
  const application = gitShow(rootDir, commit, candidateApplicationPath(env));
  if (application === undefined) {
    throw new Error(`${source}: commit ${commit} holds no ${candidateApplicationPath(env)} to promote`);
  }
  return {
    manifests: new Map(paths.map((path) => [path.slice(folder.length + 1), gitShow(rootDir, commit, path) ?? ''])),
    application,
  };
}

/** Name of the placeholder an environment without a released image gets. */
export const placeholderName = `${service.name}-unreleased`;

function writePlaceholder(rootDir: string, env: Environment): void {
  const object = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: placeholderName,
      namespace: env.namespace,
      labels: {
        [labelKeys.name]: service.name,
        [labelKeys.instance]: instanceName(env),
        [labelKeys.component]: components.delivery,
        [labelKeys.partOf]: service.partOf,
        [labelKeys.managedBy]: 'cdk8s',
      },
    },
    data: {
      state: 'unreleased',
      message: isPromotedEnvironment(env.name)
        ? `Nothing has been promoted to ${env.name} yet. It runs once npm run promote opens a pull request and it is merged (RUNBOOK.md, Promotion).`
        : `No image has been released to ${env.name} yet. The release workflow pins one at the next merge to main.`,
    },
  };
  const path = join(rootDir, environmentPath(env.name), `ConfigMap.${placeholderName}.yaml`);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, stringify(object, { lineWidth: 0 }));
}
