'use strict';
// The readers of bench/streams.js, in their own process so that their parsing does not count against the runtime:
// opens every stream, tells the parent once all have answered, reads each to its end, reports what each saw.
const { url, keys, perKey, oldest, expected } = JSON.parse(process.argv[2]);

(async () => {
  let bytes = 0;
  let opened = 0;
  const streams = keys.flatMap((key) =>
    Array.from({ length: perKey }, async () => {
      const controller = new AbortController();
      const response = await fetch(`${url}/api/v1/events?events=message.received`, { headers: { authorization: `Bearer ${key}`, 'last-event-id': oldest }, signal: controller.signal });
      if (++opened === keys.length * perKey) process.send({ opened });
      if (response.status !== 200) return 0;
      let rest = '';
      let seen = 0;
      for await (const chunk of response.body) {
        bytes += chunk.length;
        const lines = (rest + Buffer.from(chunk).toString()).split('\n');
        rest = lines.pop();
        seen += lines.filter((line) => line.startsWith('id: ')).length;
        if (seen >= expected) break;
      }
      controller.abort();
      return seen;
    }),
  );
  const seen = await Promise.all(streams);
  process.send({ seen, bytes });
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
