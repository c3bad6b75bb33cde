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

  const operand = (): number | boolean => {
    const token = take();
    if (token.kind === 'number') return token.value;
    if (token.kind === 'op' && token.value === '(') {
      const value = or();
      take(')');
      return value;
    }
    if (token.kind === 'op' && token.value === '!') return !operand();
    if (token.kind === 'word' && token.value === 'result') {
      take('[');
      const index = take();
      take(']');
      if (index.kind !== 'number') throw new Error(`result index must be a number: ${condition}`);
      const value = result[index.value];
      if (value === undefined) throw new Error(`result[${index.value}] is out of range (${result.length} values)`);
      return value;
    }
    if (token.kind === 'word' && (token.value === 'isNaN' || token.value === 'isInf')) {
      take('(');
      const value = Number(or());
      take(')');
      return token.value === 'isNaN' ? Number.isNaN(value) : !Number.isFinite(value) && !Number.isNaN(value);
    }
    throw new Error(`unsupported token ${token.value} in condition: ${condition}`);
  };
  const comparison = (): number | boolean => {
    const left = operand();
    const next = peek();
    if (next?.kind !== 'op' || !['<', '<=', '>', '>=', '==', '!='].includes(next.value)) return left;
    position++;
    const right = operand();
    const [a, b] = [Number(left), Number(right)];
    return { '<': a < b, '<=': a <= b, '>': a > b, '>=': a >= b, '==': a === b, '!=': a !== b }[next.value]!;
  };
  const and = (): number | boolean => {
    let value = comparison();
    while (peek()?.value === '&&') {
      position++;
      const right = comparison();
      value = Boolean(value) && Boolean(right);
    }
    return value;
  };
  function or(): number | boolean {
    let value = and();
    while (peek()?.value === '||') {
      position++;
      const right = and();
      value = Boolean(value) || Boolean(right);
    }
    return value;
  }

  const value = or();
  if (position !== tokens.length) throw new Error(`trailing tokens in condition: ${condition}`);
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
