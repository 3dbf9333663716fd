/** Local services some tests need (Redis, PostgreSQL), looked up before the tests are defined. */
import { spawnSync } from 'node:child_process';

/** Whether something listens on 127.0.0.1:port, decided synchronously so that absence shows as a skipped test. */
export function portOpenSync(port: number): boolean {
  const script = `require('net').createConnection({host:'127.0.0.1',port:${port}}).on('connect',()=>process.exit(0)).on('error',()=>process.exit(1))`;
  return spawnSync(process.execPath, ['-e', script], { timeout: 10_000 }).status === 0;
}
