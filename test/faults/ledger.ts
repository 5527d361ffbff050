import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { repoRoot } from '../../redpanda/kafka/jars.ts';
import { expect } from 'vitest';
import type { LoadLedger } from './load.ts';

export interface Ledger {
  readonly scenario: string;
  readonly sent: number;
  readonly acknowledged: number;
  readonly retries: number;
  readonly gaveUp: number;
  /** Rows in clickstream_data. */
  readonly stored: number;
  /** Rows beyond one per event id (the primary key makes this 0 unless the schema regresses). */
  readonly duplicated: number;
  /** Acknowledged events with no row. */
  readonly lost: number;
  /** Rows whose event was never acknowledged to its client. */
  readonly unacknowledgedStored: number;
  readonly deadLettered?: number;
  readonly seconds: number;
}

export function buildLedger(
  scenario: string,
  load: LoadLedger,
  storedIds: readonly string[],
  seconds: number,
  deadLettered?: number,
): Ledger {
  const stored = new Set(storedIds);
  let lost = 0;
  for (const id of load.acknowledged) if (!stored.has(id)) lost++;
  let unacknowledgedStored = 0;
  for (const id of stored) if (!load.acknowledged.has(id)) unacknowledgedStored++;
  return {
    scenario,
    sent: load.sent,
    acknowledged: load.acknowledged.size,
    retries: load.retries,
    gaveUp: load.gaveUp.size,
    stored: storedIds.length,
    duplicated: storedIds.length - stored.size,
    lost,
    unacknowledgedStored,
    ...(deadLettered === undefined ? {} : { deadLettered }),
    seconds: Math.round(seconds * 10) / 10,
  };
}

/** Prints the ledger and keeps it under test-artifacts/ledgers/ for the README's table. */
export async function reportLedger(ledger: Ledger): Promise<void> {
  process.stderr.write(`[ledger] ${JSON.stringify(ledger)}\n`);
  const dir = path.join(repoRoot, 'test-artifacts', 'ledgers');
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, `${ledger.scenario}.json`), `${JSON.stringify(ledger, null, 2)}\n`);
}

/** The pass condition of every fault scenario: each acknowledged event stored once, and nothing else stored. */
export function expectNothingLostNorDoubled(ledger: Ledger): void {
  expect(ledger.gaveUp).toBe(0);
  expect(ledger.acknowledged).toBe(ledger.sent);
  expect(ledger.lost).toBe(0);
  expect(ledger.duplicated).toBe(0);
  expect(ledger.unacknowledgedStored).toBe(0);
  expect(ledger.stored).toBe(ledger.acknowledged);
}
