// The ingress's error answers: owned by src/providers/errors.ts (the verifiers throw most of them),
// re-exported here for the ingress's own modules.
export { IngressError, isIngressError, type IngressErrorCode } from '../providers/errors.js';
