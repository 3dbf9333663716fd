import { NodeOperationError, type ILoadOptionsFunctions, type INodeListSearchResult } from 'n8n-workflow';
import { runtimeRequest } from '../transport';

interface SessionSummary {
  id: string;
  status: string;
  me?: { phoneNumber?: string; name?: string };
}

async function sessionsOf(context: ILoadOptionsFunctions): Promise<SessionSummary[]> {
  return ((await runtimeRequest.call(context, 'GET', '/sessions')) as unknown as { sessions: SessionSummary[] }).sessions;
}

/**
 * The session chosen in the node, for list searches that belong to a session; with none chosen (Session left to the
 * incoming item) the runtime's only session, when it has just one.
 */
async function currentSession(context: ILoadOptionsFunctions): Promise<string> {
  const value = String(context.getCurrentNodeParameter('session', { extractValue: true }) ?? '').trim();
  if (value && !value.startsWith('=')) return encodeURIComponent(value);
  const sessions = await sessionsOf(context);
  if (sessions.length === 1) return encodeURIComponent(sessions[0].id);
  throw new NodeOperationError(context.getNode(), `Pick a session first: chats, groups and lists are listed per session, and the runtime has ${sessions.length || 'no'} sessions`);
}

interface ChatSummary {
  id: string;
  name?: string;
  type: string;
}

export async function searchChats(this: ILoadOptionsFunctions, filter?: string): Promise<INodeListSearchResult> {
  const { chats } = (await runtimeRequest.call(this, 'GET', `/sessions/${await currentSession(this)}/chats`, { qs: { limit: 500 } })) as unknown as { chats: ChatSummary[] };
  const needle = filter?.toLowerCase();
  return {
    results: chats
      .filter((c) => !needle || c.id.includes(needle) || c.name?.toLowerCase().includes(needle))
      .map((c) => ({ name: c.name ? `${c.name} (${c.id.split('@')[0]})` : c.id, value: c.id })),
  };
}

export async function searchContactLists(this: ILoadOptionsFunctions, filter?: string): Promise<INodeListSearchResult> {
  const { lists } = (await runtimeRequest.call(this, 'GET', `/sessions/${await currentSession(this)}/lists`)) as unknown as { lists: { id: string; name: string; size: number }[] };
  const needle = filter?.toLowerCase();
  return { results: lists.filter((l) => !needle || l.name.toLowerCase().includes(needle)).map((l) => ({ name: `${l.name} (${l.size} contacts)`, value: l.id })) };
}

export async function searchGroups(this: ILoadOptionsFunctions, filter?: string): Promise<INodeListSearchResult> {
  const { groups } = (await runtimeRequest.call(this, 'GET', `/sessions/${await currentSession(this)}/groups`)) as unknown as { groups: { id: string; subject: string; size: number }[] };
  const needle = filter?.toLowerCase();
  return {
    results: groups
      .filter((g) => !needle || g.subject.toLowerCase().includes(needle) || g.id.includes(needle))
      .map((g) => ({ name: `${g.subject} (${g.size} members)`, value: g.id })),
  };
}

export async function searchSessions(this: ILoadOptionsFunctions, filter?: string): Promise<INodeListSearchResult> {
  const sessions = await sessionsOf(this);
  const needle = filter?.toLowerCase();
  return {
    results: sessions
      .filter((s) => !needle || s.id.toLowerCase().includes(needle) || s.me?.phoneNumber?.includes(needle) || s.me?.name?.toLowerCase().includes(needle))
      .map((s) => ({
        // no status in the label: n8n keeps the label of the picked entry, so it would go stale
        name: `${s.id}${s.me?.phoneNumber ? ` (+${s.me.phoneNumber})` : ''}`,
        value: s.id,
      })),
  };
}
