import { LabIcon } from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';
import { groupTitle, groupToolchains, ToolchainModel } from './model';
import { IGoKernel, IToolchain } from './request';
import goIconSvg from '../style/icon.svg';

export const goIcon = new LabIcon({ name: 'gokernel:go', svgstr: goIconSvg });

/** Rows the arrow keys move between: toolchains and running kernels, in document order. */
const ROW_SELECTOR = '.jp-GoToolchains-row, .jp-GoToolchains-kernel[tabindex]';

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className = '', text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) {
    node.className = className;
  }
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

// Each setter writes only on a change: the poll re-renders every 10 s with (usually) equal data, and a write
// that changes nothing would still restart hover styles or screen-reader announcements.
function setText(node: HTMLElement, text: string): void {
  if (node.textContent !== text) {
    node.textContent = text;
  }
}

function setAttr(node: HTMLElement, name: string, value: string): void {
  if (node.getAttribute(name) !== value) {
    node.setAttribute(name, value);
  }
}

/**
 * Make `parent`'s children the nodes for `keys`, in order: the node of a key seen before is kept (so focus,
 * scroll position and hover survive a poll), new keys get `create`, vanished ones are removed.
 */
function reconcile<T>(
  parent: HTMLElement,
  items: T[],
  key: (item: T) => string,
  create: (item: T) => HTMLElement,
  update: (node: HTMLElement, item: T) => void
): void {
  const existing = new Map<string, HTMLElement>();
  for (const child of Array.from(parent.children) as HTMLElement[]) {
    existing.set(child.dataset.key ?? '', child);
  }
  let cursor = parent.firstElementChild;
  for (const item of items) {
    const k = key(item);
    let node = existing.get(k);
    existing.delete(k);
    if (!node) {
      node = create(item);
      node.dataset.key = k;
    }
    update(node, item);
    if (node !== cursor) {
      parent.insertBefore(node, cursor); // moves an existing node only when the order changed
    } else {
      cursor = cursor.nextElementSibling;
    }
  }
  for (const stale of existing.values()) {
    stale.remove();
  }
}

/** Left-area sidebar listing Go toolchains by source, running Go kernels and an install action. */
export class ToolchainPanel extends Widget {
  constructor(
    readonly model: ToolchainModel,
    private readonly _askInstall: () => void,
    private readonly _openNotebook: (path: string) => void = () => undefined,
    private readonly _remove: (tc: IToolchain) => void = tc => void model.uninstall(tc.id)
  ) {
    super();
    this.id = 'gokernel-toolchains';
    this.addClass('jp-GoToolchains');
    this.title.icon = goIcon;
    this.title.caption = 'Go toolchains';
    this.node.setAttribute('role', 'region');
    this.node.setAttribute('aria-label', 'Go toolchains');
    this.node.addEventListener('keydown', e => this._onKeyDown(e));
    // Built once; render() only updates what changed inside.
    const root = el('div', 'jp-GoToolchains-content');
    root.append(
      el('h2', 'jp-GoToolchains-title', 'Go toolchains'),
      el('p', 'jp-GoToolchains-hint', "● marks the default for all notebooks; a notebook's %go use picks its own."),
      this._groups,
      el('h3', '', 'Running kernels'),
      this._kernels,
      this._actions
    );
    this._kernels.className = 'jp-GoToolchains-kernels';
    this._kernels.setAttribute('role', 'list');
    this._kernels.setAttribute('aria-label', 'Running Go kernels');
    this._actions.className = 'jp-GoToolchains-actions';
    this._install.className = 'jp-Button jp-mod-styled jp-mod-accept';
    this._install.textContent = 'Install Go version…';
    this._install.onclick = () => this._askInstall();
    this._progress.className = 'jp-GoToolchains-progress';
    this._progress.max = 100;
    this.node.appendChild(root);
    model.changed.connect(() => this.render(), this);
    this.render();
  }

  protected onAfterShow(): void {
    void this.model.poll.refresh();
  }

  render(): void {
    reconcile(
      this._groups,
      groupToolchains(this.model.toolchains),
      ([group]) => group,
      ([group]) => this._createGroup(group),
      (section, [, list]) =>
        reconcile(
          section.querySelector('ul')!,
          list,
          tc => tc.id,
          tc => this._createRow(tc),
          (li, tc) => this._updateRow(li, tc)
        )
    );
    const kernels = this.model.kernels;
    reconcile(
      this._kernels,
      kernels.length ? kernels : [null],
      k => (k ? k.id : ''),
      k => this._createKernel(k),
      (li, k) => this._updateKernel(li, k)
    );
    this._renderActions();
  }

  private _createGroup(group: string): HTMLElement {
    const title = groupTitle(group);
    const section = el('section', 'jp-GoToolchains-group');
    const ul = el('ul');
    ul.setAttribute('role', 'list');
    ul.setAttribute('aria-label', `${title} toolchains`);
    section.append(el('h3', '', title), ul);
    return section;
  }

  private _createRow(tc: IToolchain): HTMLElement {
    const li = el('li', 'jp-GoToolchains-row');
    li.dataset.id = tc.id;
    li.tabIndex = 0;
    li.setAttribute('role', 'listitem');
    const marker = el('span', 'jp-GoToolchains-marker');
    marker.setAttribute('aria-hidden', 'true');
    li.append(marker, el('span', 'jp-GoToolchains-version'), el('span', 'jp-GoToolchains-label'));
    // Handlers read the current state (not the state at creation): the row outlives many polls.
    const usable = (): boolean => this.model.toolchains.find(t => t.id === tc.id)?.usable ?? false;
    li.onclick = () => usable() && void this.model.switchTo(tc.id);
    li.onkeydown = e => {
      if ((e.key === 'Enter' || e.key === ' ') && e.target === li && usable()) {
        e.preventDefault();
        void this.model.switchTo(tc.id);
      }
    };
    return li;
  }

  private _updateRow(li: HTMLElement, tc: IToolchain): void {
    const active = tc.id === this.model.active;
    li.classList.toggle('jp-mod-active', active);
    li.classList.toggle('jp-mod-unusable', !tc.usable);
    setAttr(li, 'aria-current', String(active));
    setAttr(li, 'title', tc.usable ? tc.goroot : `${tc.goroot}: ${tc.reason}`);
    setAttr(li, 'aria-label', `${tc.version} ${tc.label}${active ? ' (active)' : ''}`);
    const [marker, version, label] = Array.from(li.children) as HTMLElement[];
    setText(marker, active ? '●' : '○');
    setText(version, tc.version);
    setText(label, tc.usable ? tc.label : `${tc.label} — ${tc.reason}`);
    let use = li.querySelector<HTMLButtonElement>('button:not(.jp-GoToolchains-remove)');
    if (tc.usable && !active) {
      if (!use) {
        use = el('button', 'jp-Button jp-mod-styled jp-mod-small', 'Use');
        use.onclick = e => {
          e.stopPropagation();
          void this.model.switchTo(tc.id);
        };
        li.appendChild(use);
      }
      // "Use" changes the default of every notebook, not just the open one: say so
      setAttr(use, 'aria-label', `Use ${tc.version} for all notebooks`);
      setAttr(use, 'title', `Make ${tc.version} the default for all notebooks (a notebook's %go use picks its own)`);
    } else {
      use?.remove();
    }
    // only what gokernel installed can be removed here, and not while it is the default
    let remove = li.querySelector<HTMLButtonElement>('button.jp-GoToolchains-remove');
    if (tc.source === 'managed' && !active) {
      if (!remove) {
        remove = el('button', 'jp-Button jp-mod-styled jp-mod-small jp-GoToolchains-remove', 'Remove');
        remove.onclick = e => {
          e.stopPropagation();
          this._remove(tc);
        };
        li.appendChild(remove);
      }
      setAttr(remove, 'aria-label', `Remove ${tc.version} (installed by gokernel)`);
    } else {
      remove?.remove();
    }
  }

  private _createKernel(k: IGoKernel | null): HTMLElement {
    const li = el('li', 'jp-GoToolchains-kernel');
    li.setAttribute('role', 'listitem');
    if (!k) {
      li.classList.add('jp-mod-empty');
      li.textContent = 'No running Go kernels';
      return li;
    }
    const open = (): void => {
      const path = this.model.kernels.find(x => x.id === k.id)?.notebook;
      if (path) {
        this._openNotebook(path);
      }
    };
    li.onclick = open;
    li.onkeydown = e => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        open();
      }
    };
    return li;
  }

  private _updateKernel(li: HTMLElement, k: IGoKernel | null): void {
    if (!k) {
      return;
    }
    // the notebook's file name keeps the narrow sidebar readable; the full path is in the tooltip
    const name = k.notebook ? k.notebook.split('/').pop() : k.id.slice(0, 8);
    const project = k.project ? ` · ${k.project.split('/').slice(-2, -1)[0] ?? k.project}` : '';
    const override = k.override ? ' · %go use' : ''; // this notebook does not follow the default
    setText(li, `${name} — ${k.go_version ?? 'no cell run yet'}${k.mode ? ` · ${k.mode}` : ''}${project}${override}`);
    li.classList.toggle('jp-mod-override', Boolean(k.override));
    const title = [
      k.notebook || k.id,
      k.project ? `project: ${k.project}` : '',
      k.override ? 'chosen with %go use in this notebook, not the default' : ''
    ]
      .filter(Boolean)
      .join('\n');
    setAttr(li, 'title', k.notebook ? `${title}\nOpen the notebook` : title);
    // only a kernel with a notebook can be opened: only then is it a stop for the keyboard
    if (k.notebook) {
      li.tabIndex = 0;
    } else {
      li.removeAttribute('tabindex');
    }
    li.classList.toggle('jp-mod-openable', Boolean(k.notebook));
  }

  private _renderActions(): void {
    const task = this.model.task;
    if (!task) {
      if (this._actions.firstChild !== this._install || this._actions.childNodes.length !== 1) {
        this._actions.replaceChildren(this._install);
      }
      return;
    }
    if (task.percent !== null) {
      this._progress.value = task.percent;
    } else {
      this._progress.removeAttribute('value'); // indeterminate until the size is known
    }
    setAttr(this._progress, 'aria-label', `Installing Go ${task.version}`);
    // a short status, not pip's raw lines (the last one stays in the tooltip for the curious)
    setText(this._progressLine, `Installing Go ${task.version}…${task.percent !== null ? ` ${task.percent}%` : ''}`);
    setAttr(this._progressLine, 'title', task.lines[task.lines.length - 1] ?? '');
    if (this._actions.firstChild !== this._progress) {
      this._actions.replaceChildren(this._progress, this._progressLine);
    }
  }

  /** Up/Down (and Home/End) move the focus between rows, as in JupyterLab's file browser. */
  private _onKeyDown(e: KeyboardEvent): void {
    if (!['ArrowDown', 'ArrowUp', 'Home', 'End'].includes(e.key)) {
      return;
    }
    const rows = Array.from(this.node.querySelectorAll<HTMLElement>(ROW_SELECTOR));
    const at = rows.indexOf(document.activeElement as HTMLElement);
    if (at < 0) {
      return; // focus is on a button or elsewhere: leave the keys to it
    }
    e.preventDefault();
    const next =
      e.key === 'Home'
        ? 0
        : e.key === 'End'
          ? rows.length - 1
          : Math.min(rows.length - 1, Math.max(0, at + (e.key === 'ArrowDown' ? 1 : -1)));
    rows[next].focus();
  }

  private _groups = el('div', 'jp-GoToolchains-groups');
  private _kernels = el('ul');
  private _actions = el('div');
  private _install = el('button');
  private _progress = el('progress');
  private _progressLine = el('div');
}
