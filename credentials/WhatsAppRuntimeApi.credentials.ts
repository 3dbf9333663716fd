import type { IAuthenticateGeneric, ICredentialTestRequest, ICredentialType, INodeProperties, Icon } from 'n8n-workflow';

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
      description: 'Where the WhatsApp runtime listens (printed by "npx whatsapp-runtime" when it starts)',
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
    },
  };
}
