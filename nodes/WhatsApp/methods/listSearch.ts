import type { ILoadOptionsFunctions, INodeListSearchResult } from 'n8n-workflow';
import { runtimeRequest } from '../transport';

interface SessionSummary {
  id: string;
  status: string;
  me?: { phoneNumber?: string; name?: string };
}

export async function searchSessions(this: ILoadOptionsFunctions, filter?: string): Promise<INodeListSearchResult> {
  const { sessions } = await runtimeRequest.call(this, 'GET', '/sessions') as unknown as { sessions: SessionSummary[] };
  const needle = filter?.toLowerCase();
  return {
    results: sessions
      .filter((s) => !needle || s.id.toLowerCase().includes(needle) || s.me?.phoneNumber?.includes(needle) || s.me?.name?.toLowerCase().includes(needle))
      .map((s) => ({
        name: `${s.id}${s.me?.phoneNumber ? ` (+${s.me.phoneNumber})` : ''} · ${s.status}`,
        value: s.id,
      })),
  };
}
