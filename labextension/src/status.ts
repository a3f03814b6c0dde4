import { ISignal, Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';
import { ToolchainModel } from './model';

/** What the status item needs of the current widget's kernel (a notebook's or a console's). */
export interface IKernelLike {
  id: string;
  info: Promise<{ implementation: string }>;
}

/**
 * Status bar item "Go 1.27.3": shown only while the current notebook or console runs gokernel (its
 * kernel_info says implementation "gokernel"; GoNB and other kernels report their own), click → switcher.
 */
export class GoStatusItem extends Widget {
  constructor(
    private readonly _model: ToolchainModel,
    private readonly _current: () => IKernelLike | null | undefined,
    onClick: () => void
  ) {
    super();
    // jp-StatusBar-TextItem: the font, line height and padding of JupyterLab's own text items (aligned)
    this.addClass('jp-StatusBar-TextItem');
    this.addClass('jp-GoToolchains-status');
    this.node.setAttribute('role', 'button');
    this.node.tabIndex = 0;
    this.node.title = 'Go version of this kernel. Click to switch the default Go toolchain';
    this.node.onclick = onClick;
    this.node.onkeydown = e => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        onClick();
      }
    };
    _model.changed.connect(() => void this.update(), this);
  }

  /** Whether the status bar shows the item (StatusBar's isActive), and its signal. */
  get active(): boolean {
    return this._active;
  }

  get activeChanged(): ISignal<this, void> {
    return this._activeChanged;
  }

  /** Re-read the current kernel: call when the current widget or its kernel changes. */
  async update(): Promise<void> {
    const kernel = this._current();
    let isGo = false;
    if (kernel) {
      try {
        isGo = (await kernel.info).implementation === 'gokernel';
      } catch {
        isGo = false; // no reply (a dead kernel): nothing to show
      }
    }
    if (kernel !== this._current()) {
      return; // the user moved on while we waited: that widget's update wins
    }
    const version = isGo ? this._model.versionFor(kernel?.id) : null;
    const text = version ? `Go ${version.replace(/^go/, '')}` : '';
    if (this.node.textContent !== text) {
      this.node.textContent = text;
    }
    const active = Boolean(text);
    if (active !== this._active) {
      this._active = active;
      this._activeChanged.emit();
    }
  }

  private _active = false;
  private _activeChanged = new Signal<this, void>(this);
}
