/**
 * Evaluates an Argo Rollouts metric condition (`result[0] <= 0.02`, `isNaN(result[0]) || result[0] < 1`, ...) over a
 * Prometheus vector result. Argo Rollouts uses the expr language; this covers the subset the AnalysisTemplates
 * here use and refuses anything else, so a template that grows past it fails the test instead of being misread.
 */
type Token = { kind: 'number'; value: number } | { kind: 'op'; value: string } | { kind: 'word'; value: string };

function tokenize(condition: string): Token[] {
  const tokens: Token[] = [];
  const pattern = /\s*(?:(\d+(?:\.\d+)?(?:e[+-]?\d+)?)|(<=|>=|==|!=|&&|\|\||[<>()[\]!])|([A-Za-z_]\w*))/y;
  let index = 0;
  while (index < condition.trim().length) {
    pattern.lastIndex = index;
    const match = pattern.exec(condition);
    if (!match) throw new Error(`unsupported condition syntax at ${index}: ${condition}`);
    index = pattern.lastIndex;
    if (match[1] !== undefined) tokens.push({ kind: 'number', value: Number(match[1]) });
    else if (match[2] !== undefined) tokens.push({ kind: 'op', value: match[2] });
    else tokens.push({ kind: 'word', value: match[3]! });
  }
  return tokens;
}

export function evaluateCondition(condition: string, result: readonly number[]): boolean {
  const tokens = tokenize(condition);
  let position = 0;
  const peek = () => tokens[position];
  const take = (value?: string) => {
    const token = tokens[position++];
    if (!token || (value !== undefined && token.value !== value)) {
      throw new Error(`expected ${value ?? 'more'} in condition: ${condition}`);
    }
    return token;
  };
  // The parse yields thunks, so `&&` and `||` short-circuit as in the expr language: a guard such as
  // `len(result) > 0 && result[0] <= 1` never reads result[0] of an empty vector.
  type Value = () => number | boolean;

  const operand = (): Value => {
    const token = take();
    if (token.kind === 'number') return () => token.value;
    if (token.kind === 'op' && token.value === '(') {
      const inner = or();
      take(')');
      return inner;
    }
    if (token.kind === 'op' && token.value === '!') {
      const inner = operand();
      return () => !inner();
    }
    if (token.kind === 'word' && token.value === 'result') {
      take('[');
      const index = take();
      take(']');
      if (index.kind !== 'number') throw new Error(`result index must be a number: ${condition}`);
      return () => {
        const value = result[index.value];
        if (value === undefined) throw new Error(`result[${index.value}] is out of range (${result.length} values)`);
        return value;
      };
    }
    if (token.kind === 'word' && token.value === 'len') {
      take('(');
      const argument = take();
      take(')');
      if (argument.value !== 'result') throw new Error(`len() takes result only: ${condition}`);
      return () => result.length;
    }
    if (token.kind === 'word' && (token.value === 'isNaN' || token.value === 'isInf')) {
      take('(');
      const inner = or();
      take(')');
      return () => {
        const value = Number(inner());
        return token.value === 'isNaN' ? Number.isNaN(value) : !Number.isFinite(value) && !Number.isNaN(value);
      };
    }
    throw new Error(`unsupported token ${token.value} in condition: ${condition}`);
  };
  const comparison = (): Value => {
    const left = operand();
    const next = peek();
    if (next?.kind !== 'op' || !['<', '<=', '>', '>=', '==', '!='].includes(next.value)) return left;
    position++;
    const right = operand();
    return () => {
      const [a, b] = [Number(left()), Number(right())];
      return { '<': a < b, '<=': a <= b, '>': a > b, '>=': a >= b, '==': a === b, '!=': a !== b }[next.value]!;
    };
  };
  const and = (): Value => {
    let value = comparison();
    while (peek()?.value === '&&') {
      position++;
      const [left, right] = [value, comparison()];
      value = () => Boolean(left()) && Boolean(right());
    }
    return value;
  };
  function or(): Value {
    let value = and();
    while (peek()?.value === '||') {
      position++;
      const [left, right] = [value, and()];
      value = () => Boolean(left()) || Boolean(right());
    }
    return value;
  }

  const parsed = or();
  if (position !== tokens.length) throw new Error(`trailing tokens in condition: ${condition}`);
  const value = parsed();
  if (typeof value !== 'boolean') throw new Error(`condition is not a comparison: ${condition}`);
  return value;
}

export type MeasurementPhase = 'Successful' | 'Failed' | 'Inconclusive';

/** Argo Rollouts' rule: a true failureCondition fails; else a true successCondition succeeds; else inconclusive
 * when a failureCondition exists, failed when only a successCondition does. */
export function measurementPhase(
  metric: { successCondition?: string; failureCondition?: string },
  result: readonly number[],
): MeasurementPhase {
  if (metric.failureCondition && evaluateCondition(metric.failureCondition, result)) return 'Failed';
  if (metric.successCondition) {
    if (evaluateCondition(metric.successCondition, result)) return 'Successful';
    return metric.failureCondition ? 'Inconclusive' : 'Failed';
  }
  return metric.failureCondition ? 'Successful' : 'Inconclusive';
}
