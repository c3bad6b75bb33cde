/**
 * Test support: renders every environment once per test file into a temp folder (the same code `npm run synth`
 * runs) and gives the tests the parsed objects.
 */
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { environments, gitRepository } from '../../platform/environments.js';
import { render } from '../render.js';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

export interface RenderedFile {
  /** Path relative to the render root, e.g. charts-out/staging/Deployment.desktop-backend.yaml. */
  readonly path: string;
  readonly objects: KubeObject[];
}

/** Every file under `dir` (relative to `root`) with its content, sorted by path. */
export function readTree(root: string, dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (current: string) => {
    for (const entry of readdirSync(current).sort()) {
      const path = join(current, entry);
      if (statSync(path).isDirectory()) walk(path);
      else files.set(relative(root, path), readFileSync(path, 'utf8'));
    }
  };
  walk(join(root, dir));
  return files;
}

export function parseObjects(text: string, source: string): KubeObject[] {
  return parseAllDocuments(text).map((document) => {
    if (document.errors.length > 0) throw new Error(`${source}: ${document.errors.map(String).join('; ')}`);
    return document.toJS() as KubeObject;
  });
}

export const renderRoot = mkdtempSync(join(tmpdir(), 'k8s-render-'));
render(renderRoot);

export const renderedFiles: RenderedFile[] = [gitRepository.chartsDir, gitRepository.argocdDir].flatMap((dir) =>
  [...readTree(renderRoot, dir)].map(([path, text]) => ({ path, objects: parseObjects(text, path) })),
);

/** The objects of charts-out/<env>/. */
export function environmentObjects(envName: string): KubeObject[] {
  const prefix = `${gitRepository.chartsDir}/${envName}/`;
  return renderedFiles.filter((file) => file.path.startsWith(prefix)).flatMap((file) => file.objects);
}

export const argocdObjects: KubeObject[] = renderedFiles
  .filter((file) => file.path.startsWith(`${gitRepository.argocdDir}/`))
  .flatMap((file) => file.objects);

/** The one object of a kind (and name, when several) in an environment; fails the test when absent. */
export function findObject(envName: string, kind: string, name?: string): KubeObject {
  const found = environmentObjects(envName).filter(
    (object) => object.kind === kind && (name === undefined || object.metadata.name === name),
  );
  if (found.length !== 1) throw new Error(`expected one ${kind} ${name ?? ''} in ${envName}, found ${found.length}`);
  return found[0]!;
}

export { environments };
