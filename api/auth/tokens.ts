/**
 * Access tokens: HS256 JWTs (jose) with `sub` (username), `role`, `iat`, `exp` and our issuer.
 */
import { errors, jwtVerify, SignJWT } from 'jose';
import { fail, ok, type Result } from '../../core/result.js';
import { ROLES, type Role } from '../../storage/users.repository.js';

export const ISSUER = 'overwatch-twin';

export interface Principal {
  readonly sub: string;
  readonly role: Role;
}

export type TokenError = 'AUTH.INVALID' | 'AUTH.EXPIRED';

export async function issueToken(key: Uint8Array, principal: Principal, ttl_s: number, now_s = Math.floor(Date.now() / 1000)): Promise<string> {
  return new SignJWT({ role: principal.role })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(principal.sub)
    .setIssuer(ISSUER)
    .setIssuedAt(now_s)
    .setExpirationTime(now_s + ttl_s)
    .sign(key);
}

/** Checks signature, algorithm, issuer and expiry (no clock tolerance: expired is expired). */
export async function verifyToken(key: Uint8Array, token: string): Promise<Result<Principal, TokenError>> {
  try {
    const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'], issuer: ISSUER, requiredClaims: ['sub', 'exp'] });
    const role = payload.role;
    if (typeof payload.sub !== 'string' || !ROLES.includes(role as Role)) return fail('AUTH.INVALID', 'token lacks a subject or role');
    return ok({ sub: payload.sub, role: role as Role });
  } catch (error) {
    if (error instanceof errors.JWTExpired) return fail('AUTH.EXPIRED', 'token expired');
    return fail('AUTH.INVALID', 'invalid token', { cause: error });
  }
}
