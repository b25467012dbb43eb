// A writer process for the kill -9 test: 8 concurrent writers append random batches to random
// streams of one Redis database (and end one now and then), printing each acknowledgement as a JSON
// line once its promise resolved. It runs until it is killed. Needs the built package (npx tsc -b).
import { createRedisDatabase } from '../../dist/index.js';

const [url, count] = process.argv.slice(2);
const database = createRedisDatabase(url);
await database.open();
const names = Array.from({ length: Number(count) }, (_, i) => `k-${i}`);
let next = 0;

async function writer() {
  for (;;) {
    const batch = next++;
    const name = names[Math.floor(Math.random() * names.length)];
    const store = await database.openStream(name);
    try {
      if (batch % 41 === 40) {
        const end = await store.end({ exitCode: batch % 7 });
        process.stdout.write(`${JSON.stringify({ end: name, exitCode: end.exitCode })}\n`);
        continue;
      }
      const size = 1 + Math.floor(Math.random() * 20);
      const entries = Array.from({ length: size }, (_, i) => ({ time: Date.now(), level: 'info', source: 'k', msg: `${batch}.${i}` }));
      const ack = await store.append(entries);
      process.stdout.write(`${JSON.stringify({ name, batch, first: ack.firstSeq, last: ack.lastSeq })}\n`);
    } catch (error) {
      // An ended stream refuses; anything else would be a bug the parent sees as a missing ack.
      if (error?.code !== 'LIVELOG_ERR_STREAM_ENDED') process.stderr.write(`${error}\n`);
    }
  }
}

for (let i = 0; i < 8; i++) void writer();
