/**
 * `npm run dlq:replay [-- --all] [-- --dry-run]`: sends dead letters from <KAFKA_TOPIC>.dlq back to
 * <KAFKA_TOPIC> once a fix makes them storable. Progress is kept by the consumer group
 * `<CONSUMER_GROUP>-dlq-replay`, so each letter is replayed once; a dry run commits nothing.
 * With `--tracked`, the same for the browser tracker's events: <KAFKA_TOPIC>.events.dlq back to
 * <KAFKA_TOPIC>.events, progress in `<CONSUMER_GROUP>-events-dlq-replay`.
 */
import process from 'node:process';
import { parseArgs } from 'node:util';
import { nodeBroker } from '../broker/for-node.ts';
import { decodeTracked } from '../functions/consumer/decode-tracked.ts';
import { createReplayHandler, type ReplayTally } from '../functions/consumer/replay.ts';
import { configOrExit, createLogger } from '../functions/lib/node-process.ts';
import { parseKafkaConfig } from '../shared/config.ts';
import { topicsFor } from '../shared/topics.ts';

const { values: flags } = parseArgs({
  options: {
    all: { type: 'boolean', default: false },
    'dry-run': { type: 'boolean', default: false },
    'idle-seconds': { type: 'string', default: '10' },
    tracked: { type: 'boolean', default: false },
  },
});
const kafka = configOrExit(parseKafkaConfig);
const groupId = `${process.env.CONSUMER_GROUP || 'clickstream-sink'}${flags.tracked ? '-events' : ''}-dlq-replay${flags['dry-run'] ? `-dry-${Date.now()}` : ''}`;
const logger = createLogger('warn', 'dlq-replay');
const all = topicsFor(kafka.topic);
const topics = flags.tracked ? { deadLetter: all.trackedDeadLetter, events: all.tracked } : { deadLetter: all.deadLetter, events: all.events };
const broker = await nodeBroker(kafka, { deliveryTimeoutMs: 10_000 }, logger);
const producer = await broker.createProducer();
const consumer = await broker.createConsumer({ groupId, topics: [topics.deadLetter], maxBatchSize: 500 });

const tally: ReplayTally = { replayed: 0, cameBack: 0, stillInvalid: 0, reasons: new Map() };
const replay = createReplayHandler({
  producer,
  eventsTopic: topics.events,
  all: flags.all,
  dryRun: flags['dry-run'],
  tally,
  runId: crypto.randomUUID(),
  ...(flags.tracked ? { isStorable: (letter) => decodeTracked(letter).ok } : {}),
});
let lastActivity = Date.now();
void consumer.run(async (batch, context) => {
  lastActivity = Date.now();
  await replay(batch, context);
  process.stderr.write(`\r${tally.replayed} replayed, ${tally.stillInvalid} still invalid`);
});

// The DLQ has no end; it is drained when nothing new arrived for a while.
const idleMs = Number(flags['idle-seconds']) * 1000;
while (Date.now() - lastActivity < idleMs) await new Promise((r) => setTimeout(r, 250));
await consumer.close();
await producer.close();

process.stderr.write('\n');
console.log(`${flags['dry-run'] ? 'Would replay' : 'Replayed'} ${tally.replayed} dead letters from ${topics.deadLetter} to ${topics.events}.`);
if (tally.cameBack > 0) console.log(`${tally.cameBack} replayed in this run were dead-lettered again.`);
if (tally.stillInvalid > 0) console.log(`${tally.stillInvalid} still fail validation and were left (use --all to force).`);
for (const [reason, count] of tally.reasons) console.log(`  ${count} x ${reason}`);
