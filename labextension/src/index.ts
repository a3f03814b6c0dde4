import { ILabShell, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette, InputDialog, Notification } from '@jupyterlab/apputils';
import { IStatusBar } from '@jupyterlab/statusbar';
import { Widget } from '@lumino/widgets';
import { ToolchainModel } from './model';
import { ToolchainPanel } from './panel';

const SWITCH = 'gokernel:switch-toolchain';
const INSTALL = 'gokernel:install-toolchain';

/** Kernel id of the current widget if it has a session context (notebooks, consoles). */
function currentKernelId(shell: ILabShell | null): string | undefined {
  const w = shell?.currentWidget as any;
  return w?.sessionContext?.session?.kernel?.id;
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'gokernel:plugin',
  description: 'Go toolchains sidebar: choose, install and inspect the Go used by Go kernels.',
  autoStart: true,
  optional: [ICommandPalette, ILabShell, IStatusBar],
  activate: (
    app: JupyterFrontEnd,
    palette: ICommandPalette | null,
    labShell: ILabShell | null,
    statusBar: IStatusBar | null
  ) => {
    const model = new ToolchainModel(message => Notification.error(message, { autoClose: 8000 }));
    const askInstall = async (): Promise<void> => {
      const result = await InputDialog.getText({ title: 'Install Go version', placeholder: '1.22.10' });
      if (result.button.accept && result.value) {
        await model.install(result.value.trim());
      }
    };
    const panel = new ToolchainPanel(model, () => void askInstall());
    app.shell.add(panel, 'left', { rank: 900 });

    app.commands.addCommand(SWITCH, {
      label: 'Go: switch toolchain…',
      execute: async () => {
        await model.refresh();
        const usable = model.toolchains.filter(t => t.usable);
        const items = usable.map(t => `${t.version} — ${t.label} [${t.id}]`);
        const current = usable.findIndex(t => t.id === model.active);
        const result = await InputDialog.getItem({ title: 'Go toolchain', items, current: Math.max(current, 0) });
        const chosen = usable[items.indexOf(result.value ?? '')];
        if (result.button.accept && chosen) {
          await model.switchTo(chosen.id);
        }
      }
    });
    app.commands.addCommand(INSTALL, { label: 'Go: install toolchain…', execute: askInstall });
    palette?.addItem({ command: SWITCH, category: 'Go' });
    palette?.addItem({ command: INSTALL, category: 'Go' });

    // refresh when kernels start or stop, not only on the poll interval
    app.serviceManager.kernels.runningChanged.connect(() => void model.poll.refresh());

    if (statusBar) {
      const item = new Widget();
      item.addClass('jp-GoToolchains-status');
      const update = (): void => {
        const version = model.versionFor(currentKernelId(labShell));
        item.node.textContent = version ? `Go ${version.replace(/^go/, '')}` : '';
        item.node.title = 'Go version of this kernel (or the active Go toolchain)';
      };
      model.changed.connect(update);
      labShell?.currentChanged.connect(update);
      statusBar.registerStatusItem('gokernel:status', { item, align: 'left', rank: 5 });
    }
  }
};

export default plugin;
