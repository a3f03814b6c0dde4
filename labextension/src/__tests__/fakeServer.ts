/** A stand-in for the gokernel REST API at the fetch boundary: routes by method + path, records every call. */

export interface IRecordedCall {
  method: string;
  path: string;
  body: unknown;
}

export interface IFakeReply {
  status?: number;
  json?: unknown;
  text?: string;
}

export type FakeHandler = (body: unknown, call: number) => IFakeReply;

export class FakeServer {
  readonly calls: IRecordedCall[] = [];

  /** Answer `method path` (path relative to /gokernel/, e.g. "toolchains") with `handler`. */
  on(method: string, path: string, handler: FakeHandler | IFakeReply): this {
    this._routes.set(`${method} ${path}`, typeof handler === 'function' ? handler : () => handler);
    return this;
  }

  /** Replace the global fetch (which ServerConnection.makeSettings() picks up) with this server. */
  install(): void {
    globalThis.fetch = this.fetch as typeof fetch;
  }

  callsTo(method: string, path: string): IRecordedCall[] {
    return this.calls.filter(c => c.method === method && c.path === path);
  }

  readonly fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = input instanceof Request ? input : new Request(input, init);
    const path = new URL(request.url).pathname.replace(/^.*\/gokernel\//, '');
    const raw = await request.text();
    const body: unknown = raw ? JSON.parse(raw) : null;
    this.calls.push({ method: request.method, path, body });
    const key = `${request.method} ${path}`;
    const handler = this._routes.get(key);
    if (!handler) {
      return new Response(JSON.stringify({ message: `no route ${key}` }), { status: 404 });
    }
    const n = this.calls.filter(c => `${c.method} ${c.path}` === key).length;
    const reply = handler(body, n);
    const text = reply.text ?? JSON.stringify(reply.json ?? {});
    return new Response(text, { status: reply.status ?? 200, headers: { 'Content-Type': 'application/json' } });
  };

  private _routes = new Map<string, FakeHandler>();
}
