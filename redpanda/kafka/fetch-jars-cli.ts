// Usage: tsx redpanda/kafka/fetch-jars-cli.ts [kraft|zk ...]   (default: kraft)
import { ensureKafkaJars, type KafkaFlavor } from './jars.ts';

const flavors = process.argv.slice(2);
for (const flavor of flavors.length > 0 ? flavors : ['kraft']) {
  if (flavor !== 'kraft' && flavor !== 'zk') {
    console.error(`unknown flavor "${flavor}" (expected kraft or zk)`);
    process.exit(2);
  }
  const libs = await ensureKafkaJars(flavor as KafkaFlavor);
  console.log(`${flavor}: ${libs}`);
}
