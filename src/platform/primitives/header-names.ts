// Header names more than one concern reads or writes: here so the logger's redaction, the API
// documents and the signing on both sides name the same header without importing each other.

/** The signed token one Cleave process sends another (security/service-token.ts). */
export const serviceTokenHeader = 'x-cleave-service-token'
