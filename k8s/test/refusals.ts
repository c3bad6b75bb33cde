/** Test support for the constructs' validateProps(): a fresh chart to build one construct in, and the refusal check. */
import assert from 'node:assert/strict';
import { App, Chart } from 'cdk8s';
import { environments } from '../../platform/environments.js';

export const stagingEnv = environments[0]!;

/** A new, empty chart: each attempt gets its own so construct ids never collide. */
export function freshChart(): Chart {
  return new Chart(new App(), 'test', { namespace: stagingEnv.namespace });
}

/** Building must throw an error that names the construct and the prop (and, where given, the reason). */
export function assertRefused(
  build: (chart: Chart) => unknown,
  construct: string,
  prop: string,
  reason?: RegExp,
): void {
  assert.throws(
    () => build(freshChart()),
    (error: Error) => {
      assert.match(error.message, new RegExp(`^${construct} "`), 'names the construct');
      assert.match(error.message, new RegExp(`- ${prop.replaceAll('.', '\\.')} `), `names the prop ${prop}`);
      if (reason) assert.match(error.message, reason);
      return true;
    },
  );
}
