import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The release pin of an environment: which image it runs and, for a promoted environment, which commit's rendered
 * manifests. The release workflow writes the pin of the release environment (staging) on every merge to main;
 * `npm run promote` writes the others. `npm run synth` renders charts-out/ from the pins (docs/delivery.md).
 */
export interface ReleasePin {
  /** The 40-hex commit SHA the release workflow built the image from, or "unreleased" while no image exists. */
  readonly imageTag: string;
  /**
   * Promoted environments only: the main commit whose charts-out/candidates/<env>/ this environment runs. Production
   * changes only when promotion moves this commit (and the image with it).
   */
  readonly renderedFrom?: string;
}

/** The environment every merge to main reaches: the release workflow moves its pin. Every other one is promoted. */
export const releaseEnvironment = 'staging';

/**
 * The pin of an environment no release has reached yet. `npm run synth` renders nothing that runs for it (a
 * placeholder ConfigMap saying so), so Argo CD never tries to pull an image that was never built.
 */
export const UNRELEASED = 'unreleased';

const COMMIT_SHA = /^[0-9a-f]{40}$/;

export function isCommitSha(value: string): boolean {
  return COMMIT_SHA.test(value);
}

export function isReleased(pin: ReleasePin): boolean {
  return pin.imageTag !== UNRELEASED;
}

export function isPromotedEnvironment(envName: string): boolean {
  return envName !== releaseEnvironment;
}

const pinsDir = join(dirname(fileURLToPath(import.meta.url)), 'pins');

export function parsePin(text: string, source: string): ReleasePin {
  const value = JSON.parse(text) as { imageTag?: unknown; renderedFrom?: unknown } | null;
  const tag = value?.imageTag;
  if (typeof tag !== 'string' || !(tag === UNRELEASED || isCommitSha(tag))) {
    throw new Error(
      `${source}: "imageTag" must be the 40-hex commit SHA of a released image or "${UNRELEASED}", got ${JSON.stringify(tag)}`,
    );
  }
  const from = value?.renderedFrom;
  if (from === undefined) return { imageTag: tag };
  if (typeof from !== 'string' || !isCommitSha(from) || tag === UNRELEASED) {
    throw new Error(
      `${source}: "renderedFrom" must be the 40-hex commit SHA of the promoted render, next to a released "imageTag"; got ${JSON.stringify(from)}`,
    );
  }
  return { imageTag: tag, renderedFrom: from };
}

export function formatPin(pin: ReleasePin): string {
  const fields = pin.renderedFrom
    ? { imageTag: pin.imageTag, renderedFrom: pin.renderedFrom }
    : { imageTag: pin.imageTag };
  return `${JSON.stringify(fields, null, 2)}\n`;
}

export function readPin(envName: string, dir = pinsDir): ReleasePin {
  const path = join(dir, `${envName}.json`);
  return parsePin(readFileSync(path, 'utf8'), path);
}

export function writePin(envName: string, pin: ReleasePin, dir = pinsDir): void {
  const path = join(dir, `${envName}.json`);
  parsePin(JSON.stringify(pin), path);
  writeFileSync(path, formatPin(pin));
}
