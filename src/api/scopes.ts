/** DoorFlow's OAuth scopes (defined in src/core/scopes.ts, shared with the console's roles). */
export { hasScope, SCOPES, type Scope } from '../core/scopes.js';
