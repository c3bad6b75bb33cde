const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;
const DURATION = /^(\d{1,9})(s|m|h|d)?$/;

/** `8h` → 28800, `30m` → 1800, `45s` → 45, `3600` → 3600 (plain numbers are seconds); undefined when malformed or 0. */
export function parseDurationSeconds(value: string): number | undefined {
  const match = DURATION.exec(value.trim());
  if (!match?.[1]) return undefined;
  const unit = (match[2] ?? 's') as keyof typeof UNIT_SECONDS;
  const seconds = Number(match[1]) * UNIT_SECONDS[unit];
  return seconds > 0 ? seconds : undefined;
}
