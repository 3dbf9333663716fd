import type { IAuthenticateGeneric, ICredentialTestRequest, ICredentialType, INodeProperties, Icon } from 'n8n-workflow';
import { NODES_VERSION, RUNTIME_VERSIONS } from '../src/contract/versions';

export class WhatsAppRuntimeApi implements ICredentialType {
  name = 'whatsAppRuntimeApi';

  displayName = 'WhatsApp Runtime API';

  icon: Icon = { light: 'file:../icons/whatsapp-runtime.svg', dark: 'file:../icons/whatsapp-runtime.dark.svg' };

  documentationUrl = 'https://www.npmjs.com/package/n8n-nodes-whatsapp-runtime#credential';

  properties: INodeProperties[] = [
    {
      displayName: 'Runtime URL',
      name: 'baseUrl',
      type: 'string',
      default: 'http://127.0.0.1:3100',
      placeholder: 'http://127.0.0.1:3100',
      description: 'Where the WhatsApp runtime listens (printed by "npx @n8n-whatsapp/runtime" when it starts)',
      required: true,
    },
    {
      displayName: 'API Key',
      name: 'apiKey',
      type: 'string',
      typeOptions: { password: true },
      default: '',
      description: 'An API key of the runtime; the admin key is printed once on its first start',
      required: true,
    },
  ];

  authenticate: IAuthenticateGeneric = {
    type: 'generic',
    properties: {
      headers: { Authorization: '=Bearer {{$credentials.apiKey}}' },
    },
  };

  test: ICredentialTestRequest = {
    request: {
      baseURL: '={{$credentials.baseUrl.replace(/\\/+$/, "")}}',
      url: '/api/v1/me',
      method: 'GET',
      // the runtime says whether it works with these nodes
      qs: { nodes: NODES_VERSION, runtimes: RUNTIME_VERSIONS },
    },
    rules: [
      { type: 'responseSuccessBody', properties: { key: 'compatibility.status', value: 'runtime_too_old', message: `The runtime is older than these nodes need (runtime ${RUNTIME_VERSIONS}): update the runtime (npx @n8n-whatsapp/runtime@latest or a newer image)` } },
      { type: 'responseSuccessBody', properties: { key: 'compatibility.status', value: 'runtime_too_new', message: `The runtime is newer than these nodes (${NODES_VERSION}) work with: update n8n-nodes-whatsapp-runtime in Settings → Community Nodes` } },
    ],
  };
}
