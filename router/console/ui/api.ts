/** The console's JSON API, as the pages call it: GETs with query parameters, POSTs with a JSON body. */

/** An answer the server refused, with its reason. */
export class ApiRefusal extends Error {
  override readonly name = 'ApiRefusal';
}

async function answer<T>(response: Response): Promise<T> {
  const body = (await response.json()) as unknown;
  if (!response.ok) {
    const message =
      typeof body === 'object' && body !== null && 'error' in body ? String(body.error) : response.statusText;
    throw new ApiRefusal(message);
  }
  return body as T;
}

/** GET /api/PATH?params (empty parameters left out). */
export async function get<T>(path: string, params: Record<string, string | undefined> = {}): Promise<T> {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params))
    if (value !== undefined && value !== '') query.set(name, value);
  const text = query.toString();
  return answer<T>(await fetch(`/api/${path}${text === '' ? '' : `?${text}`}`));
}

/** POST /api/PATH with a JSON body. */
export async function post<T>(path: string, body: Record<string, unknown>): Promise<T> {
  return answer<T>(
    await fetch(`/api/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }),
  );
}
