// The relay's pacing bucket lives in gateway/limits/, shared with the access logic's budgets.
export { TokenBucket } from '../gateway/limits/token-bucket.js';
