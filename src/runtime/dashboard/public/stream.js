// Live updates: the event stream (/api/v1/events) read with fetch, so the key travels in a header, never in a URL;
// reconnects with back-off.
import { state } from './state.js';

const live = document.getElementById('live');

export async function startStream(onEvent, attempt = 0) {
  state.stream?.abort();
  const controller = new AbortController();
  state.stream = controller;
  try {
    const response = await fetch('/api/v1/events', { headers: { authorization: `Bearer ${state.key}` }, signal: controller.signal });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    live.className = 'live on';
    live.textContent = 'live';
    attempt = 0;
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = block.split('\n').filter((line) => line.startsWith('data: ')).map((line) => line.slice(6)).join('\n');
        if (data) onEvent(JSON.parse(data));
      }
    }
  } catch {
    if (controller.signal.aborted) return;
  }
  if (controller.signal.aborted || !state.key) return;
  live.className = 'live off';
  live.textContent = 'reconnecting';
  setTimeout(() => startStream(onEvent, attempt + 1), Math.min(1000 * 2 ** attempt, 15_000));
}
