/** The action numbers of docs/passes.md, by the names the console's operator actions use. */
export const ACT_NUMBER = { unlock: 0, operate: 3, diagnose: 4 } as const;
export type OperatorAct = keyof typeof ACT_NUMBER;
