/** The few read-only git questions synth and promotion ask of the repository at `rootDir`. */
import { execFileSync } from 'node:child_process';

export function git(rootDir: string, args: readonly string[]): string {
  return execFileSync('git', ['-C', rootDir, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A file's content at a commit, or undefined when the commit does not hold it. */
export function gitShow(rootDir: string, commit: string, path: string): string | undefined {
  try {
    return git(rootDir, ['show', `${commit}:${path}`]);
  } catch {
    return undefined;
  }
}

/** The full SHA of a commit-ish, or undefined when this clone does not have it. */
export function resolveCommit(rootDir: string, ref: string): string | undefined {
  try {
    return git(rootDir, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]).trim();
  } catch {
    return undefined;
  }
}

/** The tree id of a folder at a commit (equal ids, equal contents), or undefined when absent. */
export function treeId(rootDir: string, commit: string, path: string): string | undefined {
  try {
    return git(rootDir, ['rev-parse', '--verify', '--quiet', `${commit}:${path}`]).trim();
  } catch {
    return undefined;
  }
}

export function isAncestor(rootDir: string, ancestor: string, descendant: string): boolean {
  try {
    git(rootDir, ['merge-base', '--is-ancestor', ancestor, descendant]);
    return true;
  } catch {
    return false;
  }
}
