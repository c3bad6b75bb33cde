import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The release pin of an environment: which image tag it runs. The release workflow writes the staging pin,
 * promotion copies it to production, and `npm run synth` renders it into charts-out/<env>/.
 */
export interface ReleasePin {
  /** The image tag: the git commit SHA the release workflow built. */
  readonly imageTag: string;
}

const pinsDir = join(dirname(fileURLToPath(import.meta.url)), 'pins');

// A docker tag, and never a moving one.
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

export function pinPath(envName: string): string {
  return join(pinsDir, `${envName}.json`);
}

export function parsePin(text: string, source: string): ReleasePin {
  const value: unknown = JSON.parse(text);
  const tag = (value as { imageTag?: unknown } | null)?.imageTag;
  if (typeof tag !== 'string' || !TAG.test(tag) || tag === 'latest') {
    throw new Error(`${source}: "imageTag" must be an immutable docker tag (not "latest"), got ${JSON.stringify(tag)}`);
  }
  return { imageTag: tag };
}

export function readPin(envName: string): ReleasePin {
  const path = pinPath(envName);
  return parsePin(readFileSync(path, 'utf8'), path);
}

export function writePin(envName: string, pin: ReleasePin): void {
  const path = pinPath(envName);
  parsePin(JSON.stringify(pin), path);
  writeFileSync(path, `${JSON.stringify({ imageTag: pin.imageTag }, null, 2)}\n`);
}
