import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { BenchReport } from './report.ts';

/** One bar: what it shows, its value, and whether it is the measurement, a ceiling, a floor or a target. */
interface Bar {
  readonly panel: string;
  readonly label: string;
  readonly value: number;
  readonly kind: 'measured' | 'ceiling' | 'floor' | 'target';
  readonly text: string;
}

const KINDS = ['measured', 'ceiling', 'floor', 'target'] as const;
const COLORS = ['#2f6db5', '#a9c8e8', '#d9534f', '#b5b5b5'];

function bars(report: BenchReport): Bar[] {
  const out: Bar[] = [];
  const add = (panel: string, label: string, value: number | null | undefined, kind: Bar['kind'], unit: string) => {
    if (value === null || value === undefined || Number.isNaN(value)) return;
    out.push({ panel, label, value, kind, text: `${Math.round(value).toLocaleString('en-US')}${unit}` });
  };
  const r = report;
  const p1 = 'Collector: accepted events/s (64 connections)';
  add(p1, 'collector (Hono + Kafka acks=all)', r.collector.eventsPerSec, 'measured', '/s');
  add(p1, 'bare node:http (ceiling)', r.collector.ceilingPerSec, 'ceiling', '/s');
  add(p1, 'Kafka ProducerPerformance (ceiling)', r.broker.ceilingPerSec, 'ceiling', '/s');
  const p2 = 'Sink: rows/s into Postgres';
  add(p2, 'consumer (unnest batch insert)', r.sink.rowsPerSec, 'measured', '/s');
  add(p2, 'COPY FROM STDIN (ceiling)', r.sink.copyRowsPerSec, 'ceiling', '/s');
  add(p2, 'row per message (floor)', r.sink.rowPerMessageRowsPerSec, 'floor', '/s');
  const p3 = 'Latency (ms)';
  add(p3, 'collector p50', r.collector.p50Ms, 'measured', ' ms');
  add(p3, 'collector p99', r.collector.p99Ms, 'measured', ' ms');
  add(p3, 'bare node:http p99', r.collector.ceilingP99Ms, 'ceiling', ' ms');
  add(p3, `end to end p50 at ${r.config.e2e.ratePerSecond}/s`, r.e2e.p50Ms, 'measured', ' ms');
  add(p3, `end to end p99 at ${r.config.e2e.ratePerSecond}/s`, r.e2e.p99Ms, 'measured', ' ms');
  add(p3, 'end to end p99 target', 250, 'target', ' ms');
  const p4 = 'Peak RSS (MB)';
  add(p4, 'collector', r.rss.collectorMB, 'measured', ' MB');
  add(p4, 'consumer', r.rss.consumerMB, 'measured', ' MB');
  add(p4, 'consumer target', 256, 'target', ' MB');
  return out;
}

function spec(report: BenchReport): vl.TopLevelSpec {
  const data = bars(report);
  const panels = [...new Set(data.map((b) => b.panel))];
  const m = report.machine;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `clickstream benchmark${report.quick ? ' (--quick)' : ''}: ${report.startedAt.slice(0, 16).replace('T', ' ')} UTC`,
      subtitle: `${m.cores} cores ${m.cpuModel}, ${m.memoryGB} GB, Node ${m.node}, load average ${m.loadAvg1AtStart} at start: every bar from the same run`,
      anchor: 'start',
      fontSize: 15,
    },
    background: 'white',
    padding: 16,
    columns: 2,
    concat: panels.map((panel) => {
      const values = data.filter((b) => b.panel === panel);
      const max = Math.max(...values.map((b) => b.value), 1);
      const x = { field: 'value', type: 'quantitative' as const, title: null, scale: { domain: [0, max * 1.35], nice: false }, axis: { format: '~s', tickCount: 5 } };
      const y = { field: 'label', type: 'nominal' as const, sort: null, title: null, axis: { labelLimit: 260 } };
      return {
        title: { text: panel, anchor: 'start' as const, fontSize: 13 },
        width: 300,
        height: { step: 24 },
        data: { values },
        layer: [
          {
            mark: { type: 'bar' as const, cornerRadiusEnd: 2 },
            encoding: {
              x,
              y,
              color: { field: 'kind', type: 'nominal' as const, scale: { domain: [...KINDS], range: COLORS }, legend: { title: null, orient: 'bottom' as const } },
            },
          },
          { mark: { type: 'text' as const, align: 'left' as const, dx: 4, fontSize: 11 }, encoding: { x, y, text: { field: 'text' } } },
        ],
      };
    }),
    resolve: { scale: { x: 'independent', y: 'independent' } },
    config: { font: 'DejaVu Sans', view: { stroke: null }, axis: { labelFontSize: 11 } },
  } as vl.TopLevelSpec;
}

/** Renders the run's chart: SVG (vega, headless) and a PNG of it (resvg). */
export async function renderChart(report: BenchReport): Promise<{ svg: string; png: Buffer }> {
  const compiled = vl.compile(spec(report)).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  const png = new Resvg(svg, { background: 'white', fitTo: { mode: 'zoom', value: 1.5 }, font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } })
    .render()
    .asPng();
  return { svg, png };
}
