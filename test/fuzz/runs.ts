import type { Parameters } from 'fast-check';

/**
 * Cases per property: FUZZ_RUNS, 100,000 by default (`npm run test:fuzz`); CI sets 10,000. A failure prints
 * fast-check's seed and shrunk counterexample; FUZZ_SEED replays a run.
 */
export const RUNS = Number(process.env.FUZZ_RUNS ?? 100_000);

export function fuzzParameters<T>(): Parameters<T> {
  const seed = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
  return { numRuns: RUNS, ...(seed === undefined ? {} : { seed }) };
}
