/** Every topic the pipeline uses, derived from the one configured base name. */
export interface Topics {
  /** Cart events produced by the collector, keyed by username. */
  readonly events: string;
  /** Messages the consumer could not land, with the reason in headers. */
  readonly deadLetter: string;
}

export function topicsFor(base: string): Topics {
  return { events: base, deadLetter: `${base}.dlq` };
}
