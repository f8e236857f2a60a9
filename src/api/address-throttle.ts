/** The bad-token throttle per client address (in src/http: the console counts wrong passwords with it too). */
export { ADDRESS_THROTTLE, AddressThrottle, addressKey, type AddressThrottlePolicy, type FailureOutcome } from '../http/address-throttle.js';
