/** A whole run logged at `trace` shows neither the admin key, nor a webhook secret, nor a request's query string. */
import pino from 'pino';
import { buildMessage } from '../../src/runtime/sandbox/messages';
import { Receiver } from '../helpers/receiver';
import { ADMIN_KEY, linkSession, startRuntime } from '../helpers/runtime';

test('trace logs carry no secrets and no query strings', async () => {
  const lines: string[] = [];
  const logger = pino({ level: 'trace' }, { write: (line: string) => void lines.push(line) });
  const receiver = await Receiver.start();
  const t = await startRuntime({ logLevel: 'trace' }, undefined, { logger });
  try {
    await linkSession(t, 'logs', '15550018000');
    const hook = await t.api('POST', '/api/v1/webhooks', { url: receiver.url, secret: 'whsec_do-not-log-this-secret-0123', events: ['message.received'] });
    expect(hook.status).toBe(201);
    t.runtime.sandbox!.createUser({ phone: '15550018001' });
    await t.runtime.sandbox!.sendMessage('15550018001', '15550018000', buildMessage.text('hello'));
    await receiver.waitFor((requests) => requests.length >= 1);
    await fetch(`${t.runtime.url}/api/v1/me?api_key=${ADMIN_KEY}&token=query-string-secret-42`);
    await t.api('GET', '/api/v1/sessions?probe=query-string-secret-43');
  } finally {
    await t.close();
    await receiver.close();
  }
  const all = lines.join('');
  expect(lines.length).toBeGreaterThan(100);
  expect(all).toContain('"path":"/api/v1/me"');
  for (const secret of [ADMIN_KEY, 'whsec_do-not-log-this-secret-0123', 'query-string-secret-42', 'query-string-secret-43']) expect(all.includes(secret)).toBe(false);
});
