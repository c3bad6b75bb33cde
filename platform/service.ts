/**
 * What the running server needs to know about the service it is. Kept apart from environments.ts (accounts, CIDRs,
 * hosts), which only the infrastructure reads, so the server image carries no infrastructure data.
 */
export const service = {
  /** app.kubernetes.io/name, the ECR repository name and the prefix of every AWS name. */
  name: 'desktop-backend',
  /** app.kubernetes.io/part-of */
  partOf: 'desktop-platform',
} as const;

/** Name of the database schema the server uses in every environment. */
export const databaseName = 'desktop';
