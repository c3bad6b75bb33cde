/**
 * Synth-time checks of construct props. Each construct calls its `validateProps()` first, so a bad value stops
 * `npm run synth` with a message naming the construct and the prop, instead of rendering a manifest that the API
 * server, the load balancer controller or Argo CD refuses later (or, worse, accepts).
 */

/** Collects every problem of one construct's props, then throws them together. */
export class PropsValidator {
  private readonly problems: string[] = [];

  constructor(private readonly construct: string) {}

  check(ok: boolean, prop: string, message: string): this {
    if (!ok) this.problems.push(`${prop} ${message}`);
    return this;
  }

  /** A whole number within [min, max]; `undefined` passes (the default applies). */
  integer(prop: string, value: number | undefined, min: number, max = Number.MAX_SAFE_INTEGER): this {
    if (value === undefined) return this;
    return this.check(
      Number.isInteger(value) && value >= min && value <= max,
      prop,
      `must be a whole number from ${min} to ${max === Number.MAX_SAFE_INTEGER ? 'any' : max} (got ${value})`,
    );
  }

  /** A number strictly above `above` and at most `max`; `undefined` passes. */
  number(prop: string, value: number | undefined, above: number, max = Number.POSITIVE_INFINITY): this {
    if (value === undefined) return this;
    return this.check(
      Number.isFinite(value) && value > above && value <= max,
      prop,
      `must be above ${above}${Number.isFinite(max) ? ` and at most ${max}` : ''} (got ${value})`,
    );
  }

  /** A DNS-1123 label: what Kubernetes accepts as the name of a Service (the strictest of the kinds rendered). */
  dnsLabel(prop: string, value: string): this {
    return this.check(
      /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(value) && value.length <= 63,
      prop,
      `must be a DNS-1123 label (lower-case letters, digits and '-', at most 63 characters; got "${value}")`,
    );
  }

  port(prop: string, value: number | undefined): this {
    return this.integer(prop, value, 1, 65_535);
  }

  /** An IPv4 CIDR block such as 10.0.0.0/24. */
  cidr(prop: string, value: string): this {
    const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(value);
    const ok = match !== null && match.slice(1, 5).every((octet) => Number(octet) <= 255) && Number(match[5]) <= 32;
    return this.check(ok, prop, `must be an IPv4 CIDR block such as 10.0.0.0/24 (got "${value}")`);
  }

  /** Environment variable names, as POSIX shells and the server's config loader expect them. */
  variableNames(prop: string, names: readonly string[]): this {
    for (const name of names) {
      this.check(/^[A-Z_][A-Z0-9_]*$/.test(name), prop, `has a variable name that is not UPPER_SNAKE_CASE: "${name}"`);
    }
    return this;
  }

  /** Throws one error listing every problem found, if any. */
  done(): void {
    if (this.problems.length > 0) {
      throw new Error(`${this.construct}: invalid props:\n  - ${this.problems.join('\n  - ')}`);
    }
  }
}

export function validate(construct: string): PropsValidator {
  return new PropsValidator(construct);
}
