export { errorBody, errorHandler, HttpError, notFoundHandler, type HttpErrorOptions } from './errors.js';
export { parseRequest } from './validate.js';
export { answerClientError, rejectUpgrade } from './upgrade.js';
export { requestIdOf, requestLogger } from './request-log.js';
