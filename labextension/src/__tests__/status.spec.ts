import { ToolchainModel } from '../model';
import { GoStatusItem, IKernelLike } from '../status';
import { compareVersions, switcherItems } from '../switcher';
import { IToolchain } from '../request';
import { FakeServer } from './fakeServer';

function tc(id: string, version: string, label: string, goroot = `/roots/${id}`): IToolchain {
  return { id, version, goroot, go: `${goroot}/bin/go`, source: 'path', label, usable: true, reason: '' };
}

describe('GoStatusItem', () => {
  let model: ToolchainModel;
  let current: IKernelLike | null;
  let clicks: number;
  let item: GoStatusItem;

  beforeEach(async () => {
    new FakeServer()
      .on('GET', 'toolchains', { json: { toolchains: [tc('a', 'go1.27.3', 'env')], active: 'a' } })
      .on('GET', 'kernels', {
        json: { kernels: [{ id: 'k1', notebook: 'n.ipynb', toolchain_id: 'a', go_version: 'go1.27.3' }] }
      })
      .install();
    model = new ToolchainModel();
    await new Promise(resolve => setTimeout(resolve, 0));
    await model.poll.stop();
    await model.refresh();
    clicks = 0;
    current = null;
    item = new GoStatusItem(
      model,
      () => current,
      () => clicks++
    );
  });

  afterEach(() => {
    item.dispose();
    model.dispose();
  });

  it('is shown for a gokernel notebook only: not for the Launcher nor for another kernel', async () => {
    const seen: boolean[] = [];
    item.activeChanged.connect(() => seen.push(item.active));
    await item.update(); // no widget with a kernel (the Launcher)
    expect(item.active).toBe(false);
    current = { id: 'k1', info: Promise.resolve({ implementation: 'gokernel' }) };
    await item.update();
    expect(item.active).toBe(true);
    expect(item.node.textContent).toBe('Go 1.27.3');
    current = { id: 'k2', info: Promise.resolve({ implementation: 'ipython' }) };
    await item.update();
    expect(item.active).toBe(false);
    expect(seen).toEqual([true, false]);
  });

  it('is aligned like JupyterLab text items and opens the switcher on click or Enter', () => {
    expect(item.hasClass('jp-StatusBar-TextItem')).toBe(true);
    item.node.click();
    item.node.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter' }));
    expect(clicks).toBe(2);
  });
});

describe('switcherItems', () => {
  it('sorts newest first and tells duplicate versions apart by where they live', () => {
    const items = switcherItems([
      tc('p', 'go1.9.7', 'PATH'),
      tc('x', 'go1.22.10', 'PATH', '/usr/local/go'),
      tc('e', 'go1.27.3', 'this Python env'),
      tc('y', 'go1.22.10', 'Go SDKs (~/sdk)', '/home/u/sdk/go1.22.10'),
      { ...tc('z', 'unknown', 'broken'), usable: false }
    ]).map(i => i.text);
    expect(items).toEqual([
      'go1.27.3 — this Python env',
      'go1.22.10 — Go SDKs (~/sdk) (/home/u/sdk/go1.22.10)',
      'go1.22.10 — PATH (/usr/local/go)',
      'go1.9.7 — PATH'
    ]);
  });

  it('compares versions numerically, a release candidate below its release', () => {
    expect(compareVersions('go1.10.0', 'go1.9.7')).toBeGreaterThan(0);
    expect(compareVersions('go1.23rc1', 'go1.23.0')).toBeLessThan(0);
  });
});
