import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import { TARGETS } from './config.ts';
import type { BenchReport } from './report.ts';

/** One bar: what it shows, its value, and whether it is the measurement, a ceiling, a floor or a target. */
interface Bar {
  readonly panel: string;
  /** d3 number format of the panel's axis. */
  readonly format: string;
  readonly label: string;
  readonly value: number;
  readonly kind: (typeof KINDS)[number];
  readonly text: string;
}

/** Where the targets panel's bars stop; their labels still give the whole ratio. */
const TARGET_AXIS_MAX = 3;
const KINDS = ['measured', 'ceiling', 'floor', 'target', 'pass', 'miss'] as const;
const COLORS = ['#2f6db5', '#a9c8e8', '#d9534f', '#b5b5b5', '#3a9a5b', '#e8902e'];

function bars(report: BenchReport): Bar[] {
  const out: Bar[] = [];
  const add = (panel: string, format: string, label: string, value: number | null | undefined, kind: Bar['kind'], text: (v: number) => string) => {
    if (value === null || value === undefined || Number.isNaN(value)) return;
    out.push({ panel, format, label, value, kind, text: text(value) });
  };
  const r = report;
  const perSec = (v: number) => `${Math.round(v).toLocaleString('en-US')}/s`;
  const msText = (v: number) => `${Math.round(v).toLocaleString('en-US')} ms`;
  const p1 = `Collector: accepted events/s, ${r.config.collector.connections} connections`;
  add(p1, '~s', 'collector', r.collector.eventsPerSec, 'measured', perSec);
  add(p1, '~s', 'bare node:http, same answer', r.collector.ceilingPerSec, 'ceiling', perSec);
  add(p1, '~s', 'bare node:http, minimal answer', r.collector.minimalAnswerCeilingPerSec, 'ceiling', perSec);
  add(p1, '~s', 'Kafka ProducerPerformance', r.broker.ceilingPerSec, 'ceiling', perSec);
  const p2 = 'Sink: rows/s into Postgres';
  add(p2, '~s', 'consumer (COPY per batch)', r.sink.rowsPerSec, 'measured', perSec);
  add(p2, '~s', 'COPY FROM STDIN', r.sink.copyRowsPerSec, 'ceiling', perSec);
  add(p2, '~s', 'row per message', r.sink.rowPerMessageRowsPerSec, 'floor', perSec);
  const held = r.e2e.rateHeld === false ? ` (held ${r.e2e.acceptedPerSec}/s)` : '';
  const p3 = 'Latency (ms)';
  add(p3, ',.0f', 'collector p50', r.collector.p50Ms, 'measured', msText);
  add(p3, ',.0f', 'collector p99', r.collector.p99Ms, 'measured', msText);
  add(p3, ',.0f', 'bare node:http p99', r.collector.ceilingP99Ms, 'ceiling', msText);
  add(p3, ',.0f', `end to end p50`, r.e2e.p50Ms, 'measured', msText);
  add(p3, ',.0f', `end to end p99${held}`, r.e2e.p99Ms, 'measured', msText);
  add(p3, ',.0f', 'end to end p99 target', TARGETS.e2eP99Ms, 'target', msText);
  const p4 = 'Peak RSS (MB)';
  add(p4, ',.0f', 'collector', r.rss.collectorMB, 'measured', (v) => `${Math.round(v)} MB`);
  add(p4, ',.0f', 'consumer', r.rss.consumerMB, 'measured', (v) => `${Math.round(v)} MB`);
  add(p4, ',.0f', 'consumer target', TARGETS.consumerRssMB, 'target', (v) => `${Math.round(v)} MB`);
  const blocked = r.targets.find((t) => t.note);
  const p5 = `Targets: measured / target (1 = just met; bars stop at ${TARGET_AXIS_MAX})${blocked ? `; * ${blocked.note}` : ''}`;
  for (const t of r.targets) {
    const score = t.score;
    if (score === null || score === undefined) continue;
    add(p5, '.1f', t.name, Math.min(score, TARGET_AXIS_MAX), t.pass ? 'pass' : 'miss', () => `${score.toFixed(2)} ${t.pass ? 'pass' : 'MISS'}${t.note ? ' *' : ''}`);
  }
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
      subtitle: `${m.cores} cores ${m.cpuModel}, ${m.memoryGB} GB, Node ${m.node}, load average ${m.loadAvg1AtStart} at start, Postgres ${report.config.postgres}: every bar from the same run`,
      anchor: 'start',
      fontSize: 15,
    },
    background: 'white',
    padding: 16,
    columns: 1,
    spacing: 24,
    concat: panels.map((panel) => {
      const values = data.filter((b) => b.panel === panel);
      const max = Math.max(...values.map((b) => b.value), 1);
      const targets = panel.startsWith('Targets');
      const x = {
        field: 'value',
        type: 'quantitative' as const,
        title: null,
        // One easily met target (a p99 far under its bound) would otherwise squash the misses to slivers.
        scale: { domain: [0, (targets ? TARGET_AXIS_MAX : max) * 1.4], nice: false },
        axis: { format: values[0]!.format, tickCount: 5 },
      };
      const y = { field: 'label', type: 'nominal' as const, sort: null, title: null, axis: { labelLimit: 300 } };
      const rule = targets
        ? [{ data: { values: [{ one: 1 }] }, mark: { type: 'rule' as const, strokeDash: [4, 3], color: '#555' }, encoding: { x: { field: 'one', type: 'quantitative' as const } } }]
        : [];
      return {
        title: { text: panel, anchor: 'start' as const, fontSize: 13 },
        width: 420,
        height: { step: 24 },
        data: { values },
        layer: [
          ...rule,
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
