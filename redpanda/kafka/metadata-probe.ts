import { connect } from 'node:net';

// A raw Kafka Metadata v4 request (no topics): readiness needs no client library, and it only
// succeeds once the broker processes requests and is registered (unfenced) in the cluster metadata.
// v4 is the oldest version Kafka 4 still serves (KIP-896) and is also served by Kafka 3.x.

const METADATA = 3;
const VERSION = 4;

export type PartitionState = { topic: string; partition: number; leader: number; replicas: number[]; isr: number[] };
export type MetadataProbe = {
  clusterId: string | null;
  controllerId: number;
  brokerIds: number[];
  /** Every partition of every topic, internal ones included; empty unless asked for with allTopics. */
  partitions: PartitionState[];
};

export function probeMetadata(host: string, port: number, timeoutMs = 2000, allTopics = false): Promise<MetadataProbe> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let buffered = Buffer.alloc(0);
    const fail = (err: Error): void => {
      socket.destroy();
      reject(err);
    };
    socket.setTimeout(timeoutMs, () => fail(new Error(`metadata probe ${host}:${port} timed out`)));
    socket.on('error', fail);
    socket.on('connect', () => socket.write(metadataRequest(allTopics)));
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length < 4 || buffered.length < 4 + buffered.readInt32BE(0)) return;
      socket.destroy();
      try {
        resolve(parseMetadataResponse(buffered.subarray(4, 4 + buffered.readInt32BE(0))));
      } catch (err) {
        reject(err as Error);
      }
    });
    socket.on('close', () => reject(new Error(`metadata probe ${host}:${port}: connection closed`)));
  });
}

function metadataRequest(allTopics: boolean): Buffer {
  const clientId = Buffer.from('clickstream-probe');
  const body = Buffer.alloc(2 + 2 + 4 + 2 + clientId.length + 4 + 1);
  let o = body.writeInt16BE(METADATA, 0);
  o = body.writeInt16BE(VERSION, o);
  o = body.writeInt32BE(1, o); // correlation id
  o = body.writeInt16BE(clientId.length, o);
  o += clientId.copy(body, o);
  o = body.writeInt32BE(allTopics ? -1 : 0, o); // null topic list means all topics, empty means none
  body.writeInt8(0, o); // allow_auto_topic_creation
  const frame = Buffer.alloc(4);
  frame.writeInt32BE(body.length, 0);
  return Buffer.concat([frame, body]);
}

function parseMetadataResponse(buf: Buffer): MetadataProbe {
  let o = 4 + 4; // correlation id, throttle_time_ms
  const readString = (): string | null => {
    const len = buf.readInt16BE(o);
    o += 2;
    if (len < 0) return null;
    const s = buf.toString('utf8', o, o + len);
    o += len;
    return s;
  };
  const brokerIds: number[] = [];
  const brokerCount = buf.readInt32BE(o);
  o += 4;
  for (let i = 0; i < brokerCount; i++) {
    brokerIds.push(buf.readInt32BE(o));
    o += 4;
    readString(); // host
    o += 4; // port
    readString(); // rack
  }
  const clusterId = readString();
  const controllerId = buf.readInt32BE(o);
  o += 4;
  const readInt32Array = (): number[] => {
    const values: number[] = [];
    const count = buf.readInt32BE(o);
    o += 4;
    for (let i = 0; i < count; i++, o += 4) values.push(buf.readInt32BE(o));
    return values;
  };
  const partitions: PartitionState[] = [];
  const topicCount = buf.readInt32BE(o);
  o += 4;
  for (let t = 0; t < topicCount; t++) {
    o += 2; // error_code
    const topic = readString() ?? '';
    o += 1; // is_internal
    const partitionCount = buf.readInt32BE(o);
    o += 4;
    for (let p = 0; p < partitionCount; p++) {
      o += 2; // error_code
      const partition = buf.readInt32BE(o);
      const leader = buf.readInt32BE(o + 4);
      o += 8;
      partitions.push({ topic, partition, leader, replicas: readInt32Array(), isr: readInt32Array() });
    }
  }
  return { clusterId, controllerId, brokerIds, partitions };
}
