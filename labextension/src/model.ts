import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';
import { IAvailableVersion, IGoKernel, ITask, IToolchain, IToolchainList, requestAPI } from './request';

/** Order of the source groups in the sidebar (sources of gokernel.toolchains); unknown sources go last. */
export const SOURCE_ORDER = [
  'override',
  'conda',
  'env',
  'venv',
  'config',
  'managed',
  'system',
  'goroot',
  'path',
  'sdk',
  'gvm',
  'asdf',
  'goenv',
  'gotoolchain'
];

const SOURCE_TITLES: Record<string, string> = {
  override: 'GOKERNEL_GO',
  env: 'This Python environment',
  venv: 'Active virtualenv',
  config: 'Configured paths',
  managed: 'Installed by gokernel',
  system: 'System',
  goroot: 'GOROOT',
  path: 'PATH',
  sdk: 'Go SDKs (~/sdk)',
  gvm: 'gvm',
  asdf: 'asdf',
  goenv: 'goenv',
  gotoolchain: 'GOTOOLCHAIN downloads'
};

/** Heading shown for a group key of groupToolchains ("conda: <env label>" or a source name). */
export function groupTitle(key: string): string {
  if (key.startsWith('conda: ')) {
    return key.slice('conda: '.length);
  }
  return SOURCE_TITLES[key] ?? key;
}

/** Toolchains grouped by source (conda envs by their label), in display order. */
export function groupToolchains(list: IToolchain[]): Array<[string, IToolchain[]]> {
  const groups = new Map<string, IToolchain[]>();
  for (const tc of list) {
    const key = tc.source === 'conda' ? `conda: ${tc.label}` : tc.source;
    groups.set(key, [...(groups.get(key) ?? []), tc]);
  }
  const rank = (key: string): number => {
    const i = SOURCE_ORDER.indexOf(key.split(':')[0]);
    return i < 0 ? SOURCE_ORDER.length : i;
  };
  return [...groups.entries()].sort((a, b) => rank(a[0]) - rank(b[0]) || a[0].localeCompare(b[0]));
}

/** Client-side state of the sidebar: toolchains, the active one and running Go kernels, polled. */
export class ToolchainModel {
  toolchains: IToolchain[] = [];
  active: string | null = null;
  kernels: IGoKernel[] = [];
  task: ITask | null = null;

  constructor(
    onError: (message: string) => void = () => undefined,
    onInfo: (message: string) => void = () => undefined
  ) {
    this._onError = onError;
    this._onInfo = onInfo;
    this.poll = new Poll({
      factory: () => this.refresh(),
      frequency: { interval: 10000, backoff: true, max: 60000 },
      standby: 'when-hidden',
      name: 'gokernel:toolchains'
    });
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  readonly poll: Poll;

  async refresh(): Promise<void> {
    try {
      const [list, kernels] = await Promise.all([
        requestAPI<IToolchainList>('toolchains'),
        requestAPI<{ kernels: IGoKernel[] }>('kernels')
      ]);
      this.toolchains = list.toolchains;
      this.active = list.active;
      this.kernels = kernels.kernels;
      this._changed.emit();
    } catch (e) {
      this._onError(`Go toolchains: ${(e as Error).message}`);
    }
  }

  async switchTo(id: string): Promise<void> {
    try {
      const res = await requestAPI<{ active: string }>('toolchains/active', {
        method: 'PUT',
        body: JSON.stringify({ id })
      });
      this.active = res.active;
      this._changed.emit();
      const tc = this.toolchains.find(t => t.id === res.active);
      this._onInfo(`${tc?.version ?? 'Go'} is now the default for all notebooks (a notebook's %go use still wins)`);
      // the kernel list and status bar at once, not at the next poll (up to 10 s later)
      await this.refresh();
    } catch (e) {
      this._onError(`Could not switch Go toolchain: ${(e as Error).message}`);
    }
  }

  /** Installable versions, newest first; [] when the package index cannot be reached (the dialog then asks). */
  async available(): Promise<IAvailableVersion[]> {
    try {
      return (await requestAPI<{ versions: IAvailableVersion[] }>('toolchains/available')).versions;
    } catch {
      return [];
    }
  }

  async install(version: string): Promise<ITask | null> {
    try {
      let task = await requestAPI<ITask>('toolchains/install', {
        method: 'POST',
        body: JSON.stringify({ version })
      });
      this.task = task;
      this._changed.emit();
      while (task.status === 'running') {
        await new Promise(resolve => setTimeout(resolve, 500));
        task = await requestAPI<ITask>(`tasks/${task.id}`);
        this.task = task;
        this._changed.emit();
      }
      if (task.status === 'failed') {
        this._onError(`Installing Go ${version} failed: ${task.error}`);
      }
      this.task = null;
      await this.refresh();
      return task;
    } catch (e) {
      this.task = null;
      this._changed.emit();
      this._onError(`Could not install Go ${version}: ${(e as Error).message}`);
      return null;
    }
  }

  /** Remove a Go that gokernel installed (the server refuses the default and any other source). */
  async uninstall(id: string): Promise<void> {
    try {
      const res = await requestAPI<{ removed: IToolchain }>(`toolchains/installed/${encodeURIComponent(id)}`, {
        method: 'DELETE'
      });
      this._onInfo(`Removed ${res.removed.version}`);
      await this.refresh();
    } catch (e) {
      this._onError(`Could not remove this Go: ${(e as Error).message}`);
    }
  }

  /** Go version of a kernel's last cell, else the globally active toolchain's. */
  versionFor(kernelId: string | undefined): string | null {
    const k = this.kernels.find(k => k.id === kernelId);
    if (k?.go_version) {
      return k.go_version;
    }
    return this.toolchains.find(t => t.id === this.active)?.version ?? null;
  }

  dispose(): void {
    this.poll.dispose();
  }

  private _onError: (message: string) => void;
  private _onInfo: (message: string) => void;
  private _changed = new Signal<this, void>(this);
}
