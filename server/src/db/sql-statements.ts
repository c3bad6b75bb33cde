/**
 * Splits a migration file into single statements at top-level semicolons, skipping quoted strings, identifiers and
 * comments. The migration connection does not enable `multipleStatements` (it widens the blast radius of injection),
 * so each statement is sent on its own.
 */
export function splitSqlStatements(sql: string): string[] {
  const statements: string[] = [];
  let current = '';
  let index = 0;
  const push = () => {
    const statement = current.trim();
    if (statement) statements.push(statement);
    current = '';
  };
  while (index < sql.length) {
    const char = sql.charAt(index);
    const next = sql.charAt(index + 1);
    if (char === '-' && next === '-' && /\s/.test(sql.charAt(index + 2) || ' ')) {
      index = skipTo(sql, index, '\n');
      continue;
    }
    if (char === '#') {
      index = skipTo(sql, index, '\n');
      continue;
    }
    if (char === '/' && next === '*') {
      index = skipTo(sql, index + 2, '*/');
      continue;
    }
    if (char === "'" || char === '"' || char === '`') {
      const end = endOfQuoted(sql, index, char);
      current += sql.slice(index, end);
      index = end;
      continue;
    }
    if (char === ';') {
      push();
      index += 1;
      continue;
    }
    current += char;
    index += 1;
  }
  push();
  return statements;
}

function skipTo(sql: string, from: number, terminator: string): number {
  const found = sql.indexOf(terminator, from);
  return found === -1 ? sql.length : found + terminator.length;
}

function endOfQuoted(sql: string, start: number, quote: string): number {
  let index = start + 1;
  while (index < sql.length) {
    const char = sql.charAt(index);
    if (char === '\\' && quote !== '`') index += 2;
    else if (char === quote && sql.charAt(index + 1) === quote) index += 2;
    else if (char === quote) return index + 1;
    else index += 1;
  }
  throw new Error(`unterminated ${quote} quote in SQL starting at offset ${start}`);
}
