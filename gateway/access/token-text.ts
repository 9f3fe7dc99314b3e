import { looksLikeRollingCode } from './pass/rolling-code.js';

/** The contract's bound on `token` (cloud-bridge/contract-schemas.ts); a scanner line is shorter still. */
export const MAX_TOKEN_CHARS = 4096;
/** Compact JWS: three base64url parts. Anything else is a code that is not ours (a poster, a bottle). */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * A token as both paths hand it over, without surrounding whitespace: a compact JWS never holds
 * any, and a scanner's line end or a newline pasted into a cloud request is not part of it.
 */
export const tokenText = (text: string): string => text.trim();

/** The cheapest check there is, before any decoding: the shape of a compact JWS, within bounds. */
export const looksLikeToken = (text: string): boolean => text.length <= MAX_TOKEN_CHARS && COMPACT_JWS.test(text);

/**
 * A short token or a worker pass's rolling code (`RC1:`, docs/passes.md), by shape alone: what a
 * scanner's repeat rule and the access decision treat as a credential rather than a poster.
 */
export const looksLikeCredential = (text: string): boolean => looksLikeToken(text) || looksLikeRollingCode(text);
