export { InvalidTokenError, TokenService, type AuthUser, type Role, type TokenClaims } from './tokens.js';
export { authOf, bearerToken, tokenRevoked, requireAuth, type AuthContext } from './middleware.js';
export { roleSchema, UserRepository, type User } from './users.js';
export { clientAddressKey, Throttle, tooManyRequests } from './throttle.js';
export { authRouter } from './routes.js';
