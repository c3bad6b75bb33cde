import { appendFileSync } from 'node:fs';

/** Prints the reason and exits 1: a refusal is an answer, not a stack trace. */
export function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

/** Hands values to later workflow steps through $GITHUB_OUTPUT when run by GitHub Actions; a no-op elsewhere. */
export function reportOutputs(outputs: Readonly<Record<string, string>>): void {
  const file = process.env.GITHUB_OUTPUT;
  if (!file) return;
  appendFileSync(
    file,
    Object.entries(outputs)
      .map(([key, value]) => `${key}=${value}\n`)
      .join(''),
  );
}
