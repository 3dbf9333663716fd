/** Debian's Chromium driven by playwright-core, for the browser tests (dashboard, n8n editor). */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';
// without the background-networking flags Chromium keeps trying to reach Google, which this closed network refuses
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium is not installed at ${CHROMIUM} (apt-get install chromium; .ci/run installs it)`);
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}
