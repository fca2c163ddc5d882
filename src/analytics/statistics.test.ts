import { describe, expect, it } from 'vitest';
import { normalCdf, studentTwoSidedP, twoProportionP, welchP, wilson95 } from './statistics.ts';

describe('A/B statistics, against published values', () => {
  it.each([
    [0, 0.5],
    [1.959963984540054, 0.975],
    [-1.644853626951472, 0.05],
    [3, 0.9986501019683699],
  ])('Φ(%d) = %d', (x, p) => {
    expect(normalCdf(x)).toBeCloseTo(p, 6);
  });

  it.each([
    // t, df, two-sided p (scipy: 2 * t.sf(|t|, df))
    [2.228138851986274, 10, 0.05],
    [1, 1, 0.5],
    [2.0, 30, 0.05462504],
    [0, 5, 1],
  ])('Student t=%d with df=%d has two-sided p %d', (t, df, p) => {
    expect(studentTwoSidedP(t, df)).toBeCloseTo(p, 5);
  });

  it('Wilson interval of 10/100 (R: prop.test without correction)', () => {
    const [low, high] = wilson95(10, 100)!;
    expect(low).toBeCloseTo(0.05522914, 5);
    expect(high).toBeCloseTo(0.17436566, 5);
    expect(wilson95(0, 0)).toBeNull();
    expect(wilson95(0, 20)![0]).toBe(0);
  });

  it('two-proportion z-test: 50/1000 vs 80/1000 (scipy: 2 * norm.sf(z) = 0.0065066)', () => {
    expect(twoProportionP(50, 1000, 80, 1000)).toBeCloseTo(0.00650659748, 6);
    expect(twoProportionP(5, 100, 5, 100)).toBeCloseTo(1, 6);
    expect(twoProportionP(0, 0, 1, 10)).toBeNull();
  });

  it("Welch's t-test on samples with equal variance 9.1667, n 10, means 5.5 and 8 (scipy: 0.0813483)", () => {
    const p = welchP(
      { n: 10, mean: 5.5, variance: 9.166666666666666 },
      { n: 10, mean: 8, variance: 9.166666666666666 },
    );
    expect(p).toBeCloseTo(0.0813483372, 6);
    expect(welchP({ n: 1, mean: 1, variance: 0 }, { n: 5, mean: 1, variance: 1 })).toBeNull();
  });
});
