/**
 * The points rule: 10% of the paid amount, truncated (amt 500 → 50). In the contract because more
 * than the point service reasons about it: an order's cancel deducts what was accrued, and the
 * tests of every service check balances against it. The point service's decisions apply it.
 */
export const pointsFor = (amt: number): number => Math.trunc(amt / 10)
