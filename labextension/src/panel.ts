import { LabIcon } from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';
import { groupTitle, groupToolchains, ToolchainModel } from './model';
import goIconSvg from '../style/icon.svg';

export const goIcon = new LabIcon({ name: 'gokernel:go', svgstr: goIconSvg });

/** Left-area sidebar listing Go toolchains by source, running Go kernels and an install action. */
export class ToolchainPanel extends Widget {
  constructor(
    readonly model: ToolchainModel,
    private readonly _askInstall: () => void
  ) {
    super();
    this.id = 'gokernel-toolchains';
    this.addClass('jp-GoToolchains');
    this.title.icon = goIcon;
    this.title.caption = 'Go toolchains';
    this.node.setAttribute('role', 'region');
    this.node.setAttribute('aria-label', 'Go toolchains');
    model.changed.connect(() => this.render(), this);
    this.render();
  }

  protected onAfterShow(): void {
    void this.model.poll.refresh();
  }

  render(): void {
    const m = this.model;
    const root = document.createElement('div');
    root.className = 'jp-GoToolchains-content';
    const heading = document.createElement('h2');
    heading.textContent = 'Go toolchains';
    heading.className = 'jp-GoToolchains-title';
    root.appendChild(heading);
    for (const [group, list] of groupToolchains(m.toolchains)) {
      const title = groupTitle(group);
      const h = document.createElement('h3');
      h.textContent = title;
      root.appendChild(h);
      const ul = document.createElement('ul');
      ul.setAttribute('role', 'list');
      ul.setAttribute('aria-label', `${title} toolchains`);
      for (const tc of list) {
        const li = document.createElement('li');
        const active = tc.id === m.active;
        li.className = 'jp-GoToolchains-row';
        li.classList.toggle('jp-mod-active', active);
        li.classList.toggle('jp-mod-unusable', !tc.usable);
        li.dataset.id = tc.id;
        li.tabIndex = 0;
        li.setAttribute('role', 'listitem');
        li.setAttribute('aria-current', String(active));
        li.title = tc.usable ? tc.goroot : `${tc.goroot}: ${tc.reason}`;
        li.setAttribute('aria-label', `${tc.version} ${tc.label}${active ? ' (active)' : ''}`);
        const marker = document.createElement('span');
        marker.textContent = active ? '●' : '○';
        marker.className = 'jp-GoToolchains-marker';
        marker.setAttribute('aria-hidden', 'true');
        const version = document.createElement('span');
        version.className = 'jp-GoToolchains-version';
        version.textContent = tc.version;
        const label = document.createElement('span');
        label.className = 'jp-GoToolchains-label';
        label.textContent = tc.usable ? tc.label : `${tc.label} — ${tc.reason}`;
        li.append(marker, version, label);
        if (tc.usable && !active) {
          const use = document.createElement('button');
          use.className = 'jp-Button jp-mod-styled jp-mod-small';
          use.textContent = 'Use';
          use.setAttribute('aria-label', `Use ${tc.version}`);
          use.onclick = e => {
            e.stopPropagation();
            void m.switchTo(tc.id);
          };
          li.appendChild(use);
        }
        if (tc.usable) {
          li.onclick = () => void m.switchTo(tc.id);
          li.onkeydown = e => {
            if (e.key === 'Enter' || e.key === ' ') {
              e.preventDefault();
              void m.switchTo(tc.id);
            }
          };
        }
        ul.appendChild(li);
      }
      root.appendChild(ul);
    }
    const kh = document.createElement('h3');
    kh.textContent = 'Running kernels';
    root.appendChild(kh);
    const kl = document.createElement('ul');
    kl.className = 'jp-GoToolchains-kernels';
    kl.setAttribute('role', 'list');
    kl.setAttribute('aria-label', 'Running Go kernels');
    for (const k of m.kernels) {
      const li = document.createElement('li');
      li.className = 'jp-GoToolchains-kernel';
      // the notebook's file name keeps the narrow sidebar readable; the full path is in the tooltip
      const name = k.notebook ? k.notebook.split('/').pop() : k.id.slice(0, 8);
      const project = k.project ? ` · ${k.project.split('/').slice(-2, -1)[0] ?? k.project}` : '';
      li.textContent = `${name} — ${k.go_version ?? 'no cell run yet'}${k.mode ? ` · ${k.mode}` : ''}${project}`;
      li.title = [k.notebook || k.id, k.project ? `project: ${k.project}` : ''].filter(Boolean).join('\n');
      kl.appendChild(li);
    }
    if (m.kernels.length === 0) {
      const li = document.createElement('li');
      li.className = 'jp-GoToolchains-kernel jp-mod-empty';
      li.textContent = 'No running Go kernels';
      kl.appendChild(li);
    }
    root.appendChild(kl);
    const actions = document.createElement('div');
    actions.className = 'jp-GoToolchains-actions';
    if (m.task) {
      const bar = document.createElement('progress');
      bar.className = 'jp-GoToolchains-progress';
      bar.max = 100;
      if (m.task.percent !== null) {
        bar.value = m.task.percent;
      }
      bar.setAttribute('aria-label', `Installing Go ${m.task.version}`);
      const line = document.createElement('div');
      line.textContent = m.task.lines[m.task.lines.length - 1] ?? `Installing Go ${m.task.version}…`;
      actions.append(bar, line);
    } else {
      const install = document.createElement('button');
      install.className = 'jp-Button jp-mod-styled jp-mod-accept';
      install.textContent = 'Install Go version…';
      install.onclick = () => this._askInstall();
      actions.appendChild(install);
    }
    root.appendChild(actions);
    this.node.replaceChildren(root);
  }
}
