/** The pieces of RFC 7636 (PKCE) and RFC 8252 (loopback redirects) the desktop login needs. */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

// RFC 7636 section 4.1: 43 to 128 unreserved characters.
const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;
// base64url of a SHA-256 digest, no padding.
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]']);

export function isCodeVerifier(value: string): boolean {
  return VERIFIER.test(value);
}

export function isS256Challenge(value: string): boolean {
  return S256_CHALLENGE.test(value);
}

/** The S256 challenge of a verifier: base64url(SHA-256(verifier)). */
export function s256Challenge(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/** Compares in constant time: both sides are 32-byte digests whatever the input. */
export function verifierMatches(verifier: string, challenge: string): boolean {
  const expected = Buffer.from(challenge, 'base64url');
  const actual = createHash('sha256').update(verifier, 'ascii').digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/**
 * RFC 8252 section 7.3: a loopback IP literal with an explicit port (1-65535: nothing listens on port 0), plain http (the traffic never leaves the
 * machine). `localhost` is refused (section 8.3: it may resolve elsewhere), and so are credentials and fragments.
 */
export function isLoopbackRedirect(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return (
    url.protocol === 'http:' &&
    LOOPBACK_HOSTS.has(url.hostname) &&
    url.port !== '' &&
    url.port !== '0' &&
    url.username === '' &&
    url.password === '' &&
    url.hash === '' &&
    !value.includes('#')
  );
}

/** A one-time code: 256 random bits, base64url. */
export function newAuthorizationCode(): string {
  return randomBytes(32).toString('base64url');
}

export function codeHash(code: string): Buffer {
  return createHash('sha256').update(code, 'utf8').digest();
}
