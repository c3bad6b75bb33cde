export { errorBody, errorHandler, HttpError, notFoundHandler } from './errors.js';
export {
  answerProtocolErrorsAsJson,
  limitJsonDepth,
  refuseDeclaredOversize,
  refuseOptions,
  refuseOversizeBeforeContinue,
  requireHost,
  requireUtf8Json,
} from './guards.js';
export { answerUnparsableTarget, INVALID_TARGET, rejectUpgrade, UPGRADE_URL_BASE } from './upgrade.js';
export { installRequestLog, requestFront, requestLogger } from './request-log.js';
