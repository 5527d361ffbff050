/** Reads a function's Prometheus text from GET /metrics: sums of a metric's samples, by exact name. */
export async function scrapeMetrics(url: string): Promise<Map<string, number>> {
  const values = new Map<string, number>();
  try {
    const text = await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
    for (const line of text.split('\n')) {
      if (line.startsWith('#') || !line.trim()) continue;
      const match = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
      if (!match) continue;
      const value = Number(match[3]);
      if (Number.isFinite(value)) values.set(match[1]!, (values.get(match[1]!) ?? 0) + value);
    }
  } catch {
    // A metric we cannot read is left out of the report, never a failed run.
  }
  return values;
}

/** Mean of a histogram (sum / count) times `scale`, or undefined without samples. */
export function histogramMean(values: Map<string, number>, name: string, scale = 1): number | undefined {
  const count = values.get(`${name}_count`) ?? 0;
  return count > 0 ? ((values.get(`${name}_sum`) ?? 0) / count) * scale : undefined;
}

/** What counters gained between two scrapes. */
export function metricsDelta(before: Map<string, number>, after: Map<string, number>): Map<string, number> {
  return new Map([...after].map(([name, value]) => [name, value - (before.get(name) ?? 0)]));
}
