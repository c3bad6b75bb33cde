/** Debian's promtool, run in a working folder of the test's; a failure fails the test with promtool's own output. */
import { execFileSync } from 'node:child_process';
import assert from 'node:assert/strict';

export function promtoolIn(workDir: string): (...args: string[]) => string {
  return (...args) => {
    try {
      return execFileSync('promtool', args, { cwd: workDir, encoding: 'utf8', stdio: 'pipe' });
    } catch (error) {
      const { stdout, stderr } = error as { stdout?: string; stderr?: string };
      assert.fail(`promtool ${args.join(' ')} failed:\n${stdout ?? ''}${stderr ?? ''}`);
    }
  };
}
