import { ToolchainModel } from '../model';
import { ToolchainPanel } from '../panel';
import { IToolchain } from '../request';
import { FakeServer } from './fakeServer';

function tc(id: string, version: string, source: string, label: string, usable = true, reason = ''): IToolchain {
  return { id, version, goroot: `/roots/${id}/go`, go: `/roots/${id}/go/bin/go`, source, label, usable, reason };
}

const OLD = tc('config-old', 'go1.22.10', 'config', 'GOKERNEL_TOOLCHAIN_PATHS');
const NEW = tc('env-new', 'go1.27.3', 'env', 'this Python env');
const BROKEN = tc('path-x', 'unknown', 'path', 'PATH', false, 'go env failed');
const MANAGED = tc('managed-m', 'go1.21.13', 'managed', 'gokernel managed');

function activeIdIn(panel: ToolchainPanel): string[] {
  return Array.from(panel.node.querySelectorAll<HTMLElement>('.jp-GoToolchains-row.jp-mod-active')).map(
    li => li.dataset.id!
  );
}

function row(panel: ToolchainPanel, id: string): HTMLElement {
  const li = panel.node.querySelector<HTMLElement>(`li[data-id="${id}"]`);
  if (!li) {
    throw new Error(`no row ${id}`);
  }
  return li;
}

describe('ToolchainPanel', () => {
  let server: FakeServer;
  let model: ToolchainModel;
  let panel: ToolchainPanel;
  let active: string;
  let opened: string[];

  beforeEach(async () => {
    active = NEW.id;
    server = new FakeServer()
      .on('GET', 'toolchains', () => ({ json: { toolchains: [OLD, NEW, BROKEN], active } }))
      .on('GET', 'kernels', {
        json: {
          kernels: [
            { id: 'k-123456789', notebook: 'work/demo.ipynb', toolchain_id: NEW.id, go_version: 'go1.27.3' },
            { id: 'k-abcdefghi', notebook: '', toolchain_id: null, go_version: null }
          ]
        }
      })
      .on('PUT', 'toolchains/active', body => {
        active = (body as { id: string }).id;
        return { json: { active } };
      });
    server.install();
    model = new ToolchainModel();
    await new Promise(resolve => setTimeout(resolve, 0));
    await model.poll.stop();
    opened = [];
    panel = new ToolchainPanel(
      model,
      () => undefined,
      path => opened.push(path)
    );
    document.body.appendChild(panel.node); // focus needs a connected node
    await model.refresh();
  });

  afterEach(() => {
    panel.node.remove();
    panel.dispose();
    model.dispose();
  });

  it('is the sidebar with the id, title and aria label the app and UI tests rely on', () => {
    expect(panel.id).toBe('gokernel-toolchains');
    expect(panel.title.caption).toBe('Go toolchains');
    expect(panel.node.getAttribute('aria-label')).toBe('Go toolchains');
  });

  it('lists toolchains grouped by source with the active one marked', () => {
    const headings = Array.from(panel.node.querySelectorAll('h3')).map(h => h.textContent);
    expect(headings).toEqual(['This Python environment', 'Configured paths', 'PATH', 'Running kernels']);
    expect(panel.node.querySelector('ul[aria-label="Configured paths toolchains"]')?.textContent).toContain(
      'go1.22.10'
    );
    expect(activeIdIn(panel)).toEqual([NEW.id]);
    expect(row(panel, NEW.id).getAttribute('aria-current')).toBe('true');
    expect(row(panel, OLD.id).getAttribute('aria-current')).toBe('false');
    expect(row(panel, OLD.id).title).toBe(OLD.goroot);
    // the active row offers no "Use" button, the others do
    expect(row(panel, NEW.id).querySelector('button')).toBeNull();
    expect(row(panel, OLD.id).querySelector('button')?.getAttribute('aria-label')).toBe(
      'Use go1.22.10 for all notebooks'
    );
  });

  it('greys out an unusable toolchain with its reason and does not offer to switch to it', async () => {
    const broken = row(panel, BROKEN.id);
    expect(broken.classList).toContain('jp-mod-unusable');
    expect(broken.textContent).toContain('go env failed');
    expect(broken.title).toContain('go env failed');
    expect(broken.querySelector('button')).toBeNull();
    broken.click();
    await new Promise(resolve => setTimeout(resolve, 20));
    expect(server.callsTo('PUT', 'toolchains/active')).toEqual([]);
  });

  it('switches with the row button and moves the marker without a reload', async () => {
    row(panel, OLD.id).querySelector('button')!.click();
    await new Promise(resolve => setTimeout(resolve, 20));
    expect(server.callsTo('PUT', 'toolchains/active').map(c => c.body)).toEqual([{ id: OLD.id }]);
    expect(activeIdIn(panel)).toEqual([OLD.id]);
    expect(row(panel, NEW.id).querySelector('button')?.textContent).toBe('Use');
  });

  it('switches from the keyboard (Enter on a focused row)', async () => {
    row(panel, OLD.id).dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
    await new Promise(resolve => setTimeout(resolve, 20));
    expect(activeIdIn(panel)).toEqual([OLD.id]);
    expect(row(panel, OLD.id).tabIndex).toBe(0);
  });

  it('shows running Go kernels by notebook name with their Go version, full path on hover', () => {
    const items = Array.from(panel.node.querySelectorAll<HTMLElement>('ul.jp-GoToolchains-kernels li'));
    expect(items.map(li => li.textContent)).toEqual(['demo.ipynb — go1.27.3', 'k-abcdef — no cell run yet']);
    expect(items[0].title).toBe('work/demo.ipynb\nOpen the notebook');
  });

  it('says so when no Go kernel runs', async () => {
    server.on('GET', 'kernels', { json: { kernels: [] } });
    await model.refresh();
    expect(panel.node.querySelector('ul.jp-GoToolchains-kernels')?.textContent).toBe('No running Go kernels');
  });

  it('shows a progress bar instead of the install button while a task runs', () => {
    expect(panel.node.querySelector('progress')).toBeNull();
    model.task = {
      id: 't1',
      version: '1.21.13',
      status: 'running',
      lines: ['downloading'],
      percent: 30,
      error: '',
      toolchain_id: ''
    };
    panel.render();
    const bar = panel.node.querySelector('progress');
    expect(bar?.value).toBe(30);
    expect(bar?.getAttribute('aria-label')).toBe('Installing Go 1.21.13');
    // a short determinate status instead of pip's raw lines (the last line is the tooltip)
    const line = panel.node.querySelector<HTMLElement>('.jp-GoToolchains-actions div')!;
    expect(line.textContent).toBe('Installing Go 1.21.13… 30%');
    expect(line.title).toBe('downloading');
    expect(panel.node.querySelector('.jp-GoToolchains-actions button')).toBeNull();
  });

  it('updates in place: a poll with equal data keeps every node, so focus and hover survive', async () => {
    const before = Array.from(panel.node.querySelectorAll('*'));
    const focused = row(panel, OLD.id);
    focused.focus();
    await model.refresh();
    await model.refresh();
    const after = Array.from(panel.node.querySelectorAll('*'));
    expect(after.length).toBe(before.length);
    expect(after.every((node, i) => node === before[i])).toBe(true);
    expect(document.activeElement).toBe(focused);
  });

  it('keeps the other rows when one toolchain goes and the active one changes', async () => {
    const oldRow = row(panel, OLD.id);
    server.on('GET', 'toolchains', () => ({ json: { toolchains: [OLD, NEW], active: OLD.id } }));
    await model.refresh();
    expect(row(panel, OLD.id)).toBe(oldRow);
    expect(panel.node.querySelector(`li[data-id="${BROKEN.id}"]`)).toBeNull();
    expect(activeIdIn(panel)).toEqual([OLD.id]);
    expect(oldRow.querySelector('button')).toBeNull();
    expect(row(panel, NEW.id).querySelector('button')?.textContent).toBe('Use');
  });

  it('moves the focus between rows with the arrow keys, Home and End', () => {
    const rows = Array.from(panel.node.querySelectorAll<HTMLElement>('.jp-GoToolchains-row'));
    const demo = panel.node.querySelector<HTMLElement>('ul.jp-GoToolchains-kernels li')!;
    rows[0].focus();
    const press = (key: string): void => {
      (document.activeElement as HTMLElement).dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true }));
    };
    press('ArrowDown');
    expect(document.activeElement).toBe(rows[1]);
    press('ArrowUp');
    press('ArrowUp');
    expect(document.activeElement).toBe(rows[0]);
    press('End'); // the last stop is the running kernel that has a notebook
    expect(document.activeElement).toBe(demo);
    press('Home');
    expect(document.activeElement).toBe(rows[0]);
  });

  it('marks a kernel whose notebook chose its own Go with %go use', async () => {
    server.on('GET', 'kernels', {
      json: {
        kernels: [
          { id: 'k-1', notebook: 'a.ipynb', toolchain_id: OLD.id, go_version: 'go1.22.10', override: '1.22' },
          { id: 'k-2', notebook: 'b.ipynb', toolchain_id: NEW.id, go_version: 'go1.27.3', override: null }
        ]
      }
    });
    await model.refresh();
    const [a, b] = Array.from(panel.node.querySelectorAll<HTMLElement>('ul.jp-GoToolchains-kernels li'));
    expect(a.textContent).toBe('a.ipynb — go1.22.10 · %go use');
    expect(a.classList).toContain('jp-mod-override');
    expect(a.title).toContain('chosen with %go use in this notebook, not the default');
    expect(b.textContent).toBe('b.ipynb — go1.27.3');
  });

  it('opens the notebook of a running kernel on click or Enter', () => {
    const [demo, bare] = Array.from(panel.node.querySelectorAll<HTMLElement>('ul.jp-GoToolchains-kernels li'));
    demo.click();
    demo.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
    bare.click(); // no notebook: nothing to open
    expect(opened).toEqual(['work/demo.ipynb', 'work/demo.ipynb']);
    expect(bare.hasAttribute('tabindex')).toBe(false);
  });

  it('offers to remove a Go gokernel installed (not the default, not other sources) and removes it', async () => {
    server
      .on('GET', 'toolchains', () => ({ json: { toolchains: [OLD, NEW, MANAGED], active } }))
      .on('DELETE', `toolchains/installed/${MANAGED.id}`, { json: { removed: MANAGED } });
    await model.refresh();
    expect(row(panel, OLD.id).querySelector('.jp-GoToolchains-remove')).toBeNull();
    const remove = row(panel, MANAGED.id).querySelector<HTMLButtonElement>('.jp-GoToolchains-remove')!;
    expect(remove.getAttribute('aria-label')).toBe('Remove go1.21.13 (installed by gokernel)');
    expect(row(panel, MANAGED.id).querySelector('button')?.textContent).toBe('Use');
    server.on('GET', 'toolchains', () => ({ json: { toolchains: [OLD, NEW], active } }));
    remove.click();
    await new Promise(resolve => setTimeout(resolve, 20));
    expect(server.callsTo('DELETE', `toolchains/installed/${MANAGED.id}`)).toHaveLength(1);
    expect(panel.node.querySelector(`li[data-id="${MANAGED.id}"]`)).toBeNull();
  });
});
