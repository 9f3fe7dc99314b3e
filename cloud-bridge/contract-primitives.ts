import { z } from 'zod';

/** The contract's smallest pieces, shared by contract-schemas and the event catalogue. */

/** ISO-8601 UTC with milliseconds, as `Date.toISOString()` writes it. */
export const timestamp = z
  .string()
  .regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
  .describe('ISO-8601 UTC with milliseconds');
export const ulid = z
  .string()
  .regex(/^[0-9A-HJKMNP-TV-Z]{26}$/)
  .describe('ULID: unique and sortable');
export const jsonValue = z.json();
