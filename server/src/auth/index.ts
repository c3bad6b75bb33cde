export {
  InvalidTokenError,
  ROLES,
  TokenService,
  type Audience,
  type AuthUser,
  type IssuedToken,
  type Role,
  type TokenClaims,
} from './tokens.js';
export {
  authenticateToken,
  authOf,
  bearerToken,
  issuedBeforeChange,
  requireAuth,
  requireRole,
  type AuthContext,
} from './middleware.js';
export {
  newPasswordSchema,
  PASSWORD_MAX_BYTES,
  PASSWORD_MIN_LENGTH,
  roleSchema,
  UserRepository,
  usernameSchema,
  type User,
} from './users.js';
export {
  clientAddressKey,
  Throttle,
  throttleRequests,
  tooManyRequests,
  type ThrottleOptions,
  type ThrottleResult,
} from './throttle.js';
export { authRouter } from './routes.js';
