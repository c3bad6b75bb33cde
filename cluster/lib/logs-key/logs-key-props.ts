export interface LogsKeyProps {
  /** What the key encrypts, shown in the KMS console. */
  readonly description: string;
}
