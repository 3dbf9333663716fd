/**
 * http/: the REST API, the only way into the runtime. This file: the one error shape every route returns,
 * `{error:{code,message,details}}`, produced from the ground floor's ApiError (`../errors`).
 */
export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

export const errorBodySchema = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} },
      required: ['code', 'message'],
    },
  },
  required: ['error'],
} as const;
