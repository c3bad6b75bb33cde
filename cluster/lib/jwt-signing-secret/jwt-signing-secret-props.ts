export interface JwtSigningSecretProps {
  /** Secrets Manager name (platform environment's secrets.jwt). */
  readonly secretName: string;
  /** JSON key of the signing key (platform.externalSecrets.jwtKeys.signingKey). */
  readonly signingKeyField: string;
  /** @default 96 */
  readonly length?: number;
}
