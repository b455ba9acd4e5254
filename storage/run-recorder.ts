/**
 * Stores a finished scenario run: its report row and its whole event log, in one transaction,
 * so a run is either fully there (`GET /runs/{id}`, `GET /runs/{id}/events`) or not at all.
 */
import type { EventLog } from '../actors/event-log.js';
import type { ScenarioReport } from '../actors/scenario/scenario.runner.js';
import { fromSqliteError, type StoreResult } from './errors.js';
import type { RunSummary } from './runs.repository.js';
import type { Store } from './store.js';

export function storeScenarioRun(store: Store, id: string, run: { readonly report: ScenarioReport; readonly log?: EventLog }): StoreResult<RunSummary> {
  try {
    return store.transaction(() => {
      const r = store.runs.insert(id, run.report);
      // Throwing rolls the transaction back; the result carries the code out.
      if (!r.ok) throw new RunInsertFailed(r);
      if (run.log) for (let i = 0; i < run.log.entries.length; i += 1000) store.events.insertBatch(id, run.log.entries.slice(i, i + 1000));
      return r;
    });
  } catch (error) {
    if (error instanceof RunInsertFailed) return error.result;
    return fromSqliteError(error, `run '${id}'`);
  }
}

class RunInsertFailed extends Error {
  constructor(readonly result: StoreResult<never>) {
    super('run insert failed');
  }
}
