/** Types of scripts/n8n-harness.js for the TypeScript tests. */
import type { ChildProcess } from 'node:child_process';

export interface N8nInstance {
  base: string;
  child: ChildProcess;
  log(): string;
  stop(): Promise<void>;
}
export type PublicApi = (method: string, path: string, body?: unknown) => Promise<{ id: string; name: string }>;

export function installN8n(): string;
export function installNodesPackage(userFolder: string, work: string): void;
export function installRuntimePackage(work: string): string;
export function freePort(): Promise<number>;
export function startN8n(options: { bin: string; userFolder: string; port: number }): Promise<N8nInstance>;
export function setupOwner(base: string, owner: { email: string; firstName: string; lastName: string; password: string }): Promise<{ cookie: string; apiKey: string }>;
export function publicApi(base: string, apiKey: string, log?: () => string): PublicApi;
