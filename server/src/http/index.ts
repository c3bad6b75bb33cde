export { errorBody, errorHandler, HttpError, notFoundHandler } from './errors.js';
export { answerClientError, rejectUpgrade } from './upgrade.js';
export { requestLogger } from './request-log.js';
