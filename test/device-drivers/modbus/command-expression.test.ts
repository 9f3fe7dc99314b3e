import { describe, expect, it } from 'vitest';
import { compileExpression, ExpressionError, expressionProblem } from '../../../config/command-expression.js';

const at = (text: string, slot = 3, value = 1): number => compileExpression(text)({ slot, index: slot - 1, value });

describe('command value expressions', () => {
  it('reads slot (from 1), index (from 0) and value', () => {
    expect(at('slot', 5)).toBe(5);
    expect(at('index', 5)).toBe(4);
    expect(at('value', 5, 0)).toBe(0);
    expect(at('value', 5, 7)).toBe(7);
  });

  it('binds * / % tighter than + -, left to right, with unary minus', () => {
    expect(at('1 + 2 * 3')).toBe(7);
    expect(at('10 - 4 - 3')).toBe(3);
    expect(at('100 / 10 / 2')).toBe(5);
    expect(at('2 * slot + value', 4, 1)).toBe(9);
    expect(at('slot % 2 * 10', 3)).toBe(10);
    expect(at('-slot + 10', 3)).toBe(7);
    expect(at('- - 2')).toBe(2);
    expect(at('3 * -2')).toBe(-6);
  });

  it('groups with parentheses', () => {
    expect(at('(1 + 2) * 3')).toBe(9);
    expect(at('2 * (slot + (value - 1))', 4, 3)).toBe(12);
    expect(at('((slot))', 6)).toBe(6);
  });

  it('takes hex and decimal numbers, and spaces anywhere', () => {
    expect(at('0x100 + slot', 2)).toBe(0x102);
    expect(at('0xFF')).toBe(255);
    expect(at('  slot*2  ', 2)).toBe(4);
    expect(at('1.5 * 2')).toBe(3);
  });

  it('says which names it reads', () => {
    expect([...compileExpression('0x100 + slot').variables]).toEqual(['slot']);
    expect([...compileExpression('index * 2 + value').variables].sort()).toEqual(['index', 'value']);
    expect(compileExpression('7').variables.size).toBe(0);
  });

  it('refuses names other than slot, index and value', () => {
    expect(expressionProblem('door + 1')).toMatch(/"door" is not slot, index or value/);
    expect(expressionProblem('Slot')).toMatch(/"Slot"/);
    expect(expressionProblem('process')).toMatch(/"process"/);
    expect(expressionProblem('slot1')).toBeDefined();
  });

  it('refuses what is not arithmetic: calls, other operators, junk after a complete expression', () => {
    expect(expressionProblem('slot 2')).toMatch(/unexpected "2" after a complete expression/);
    expect(expressionProblem('slot + 1)')).toMatch(/unexpected "\)" after a complete expression/);
    expect(expressionProblem('(slot + 1')).toMatch(/"\(" is not closed/);
    expect(expressionProblem('slot +')).toMatch(/ends too early/);
    expect(expressionProblem('* slot')).toMatch(/unexpected "\*"/);
    expect(expressionProblem('slot ** 2')).toMatch(/unexpected "\*"/);
    expect(expressionProblem('slot; 1')).toMatch(/unexpected ";"/);
    expect(expressionProblem('slot & 1')).toMatch(/unexpected "&"/);
    expect(expressionProblem('1 ? 2 : 3')).toMatch(/unexpected "\?"/);
    expect(expressionProblem('()')).toMatch(/unexpected "\)"/);
    expect(expressionProblem('')).toMatch(/empty/);
    expect(expressionProblem('   ')).toMatch(/empty/);
  });

  it('refuses an expression longer than 200 characters', () => {
    const long = `slot${' + 1'.repeat(60)}`;
    expect(long.length).toBeGreaterThan(200);
    expect(expressionProblem(long)).toMatch(/longer than 200 characters/);
    const fits = `slot${' + 1'.repeat(49)}`;
    expect(fits.length).toBeLessThanOrEqual(200);
    expect(at(fits, 1)).toBe(50);
  });

  it('refuses at evaluation a value that is not finite (division by zero)', () => {
    const f = compileExpression('10 / index');
    expect(f({ slot: 2, index: 1, value: 0 })).toBe(10);
    expect(() => f({ slot: 1, index: 0, value: 0 })).toThrow(ExpressionError);
  });
});
