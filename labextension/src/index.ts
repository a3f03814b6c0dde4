import { ILabShell, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { Dialog, ICommandPalette, InputDialog, Notification, showDialog } from '@jupyterlab/apputils';
import { IStatusBar } from '@jupyterlab/statusbar';
import { CellRefLinks, IPanelLike } from './cellrefs';
import { ToolchainModel } from './model';
import { IAvailableVersion } from './request';
import { ToolchainPanel } from './panel';
import { GoStatusItem, IKernelLike } from './status';
import { switcherItems } from './switcher';

const SWITCH = 'gokernel:switch-toolchain';
const INSTALL = 'gokernel:install-toolchain';

/** The session context of the current widget, if it has one (notebooks, consoles). */
function currentSession(shell: ILabShell | null): any {
  return (shell?.currentWidget as any)?.sessionContext ?? null;
}

/** Whether a main-area widget is a notebook in Go (its metadata says so, or its kernel is the `go` kernel). */
function goNotebook(widget: any): IPanelLike | null {
  const notebook = widget?.content;
  if (!notebook?.widgets || !notebook.model || typeof notebook.deselectAll !== 'function') {
    return null;
  }
  const model = notebook.model;
  const language = model.getMetadata?.('language_info')?.name ?? model.getMetadata?.('kernelspec')?.language;
  const isGo = language === 'go' || widget.sessionContext?.session?.kernel?.name === 'go';
  return isGo ? (widget as IPanelLike) : null;
}

const INSTALLED = ' (installed)';

/** Ask which Go to install: a picker of the index's versions (newest first, installed ones marked) that also
 * takes typed text such as "1.23" (the newest 1.23.x); a plain text box when the index could not be listed. */
async function pickVersion(offered: IAvailableVersion[]): Promise<string | null> {
  const hint = 'A version such as 1.23.4, or 1.23 for the newest 1.23.x';
  if (offered.length === 0) {
    const typed = await InputDialog.getText({ title: 'Install Go version', label: hint, placeholder: '1.22.10' });
    return typed.button.accept && typed.value ? typed.value.trim() : null;
  }
  const items = offered.map(v => (v.installed ? `${v.version}${INSTALLED}` : v.version));
  const result = await InputDialog.getItem({
    title: 'Install Go version',
    label: hint,
    items,
    editable: true,
    current: Math.max(
      offered.findIndex(v => !v.installed),
      0
    )
  });
  return result.button.accept && result.value ? result.value.replace(INSTALLED, '').trim() : null;
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
    const model = new ToolchainModel(
      message => Notification.error(message, { autoClose: 8000 }),
      message => Notification.success(message, { autoClose: 3000 })
    );
    const askInstall = async (): Promise<void> => {
      const version = await pickVersion(await model.available());
      if (!version) {
        return;
      }
      const task = await model.install(version);
      if (task?.status === 'done') {
        // the version installed ("1.23" asks for the newest 1.23.x): the toolchain's, not the request's
        const installed = model.toolchains.find(tc => tc.id === task.toolchain_id)?.version ?? task.version;
        Notification.success(`Go ${installed.replace(/^go/, '')} is installed`, {
          autoClose: 10000,
          actions: [{ label: 'Use now', callback: () => void model.switchTo(task.toolchain_id) }]
        });
      }
    };
    const panel = new ToolchainPanel(
      model,
      () => void askInstall(),
      // a kernel's notebook is its session path (JPY_SESSION_NAME), relative to the server root
      path => void app.commands.execute('docmanager:open', { path }),
      async tc => {
        const answer = await showDialog({
          title: `Remove ${tc.version}?`,
          body: `Deletes ${tc.goroot}, which gokernel installed. Notebooks using it switch to the default Go.`,
          buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Remove' })]
        });
        if (answer.button.accept) {
          await model.uninstall(tc.id);
        }
      }
    );
    app.shell.add(panel, 'left', { rank: 900 });

    // `cell[N] line M` in gokernel's outputs: links to that cell and line
    new CellRefLinks(
      app.shell.node,
      node => {
        for (const widget of app.shell.widgets('main')) {
          if (widget.node.contains(node)) {
            return goNotebook(widget);
          }
        }
        return null;
      },
      cell =>
        Notification.warning(`Cell [${cell}] is not in this notebook any more: it was run again or deleted`, {
          autoClose: 5000
        })
    );

    app.commands.addCommand(SWITCH, {
      label: 'Go: switch toolchain…',
      execute: async () => {
        await model.refresh();
        const choices = switcherItems(model.toolchains);
        const items = choices.map(c => c.text);
        const current = choices.findIndex(c => c.toolchain.id === model.active);
        const result = await InputDialog.getItem({
          title: 'Default Go toolchain for all notebooks',
          label: "A notebook's %go use still picks its own.",
          items,
          current: Math.max(current, 0)
        });
        const chosen = choices[items.indexOf(result.value ?? '')];
        if (result.button.accept && chosen) {
          await model.switchTo(chosen.toolchain.id);
        }
      }
    });
    app.commands.addCommand(INSTALL, { label: 'Go: install toolchain…', execute: askInstall });
    palette?.addItem({ command: SWITCH, category: 'Go' });
    palette?.addItem({ command: INSTALL, category: 'Go' });

    // refresh when kernels start or stop, not only on the poll interval
    app.serviceManager.kernels.runningChanged.connect(() => void model.poll.refresh());

    if (statusBar) {
      const item = new GoStatusItem(
        model,
        () => (currentSession(labShell)?.session?.kernel as IKernelLike | undefined) ?? null,
        () => void app.commands.execute(SWITCH)
      );
      // follow the current widget, and its kernel when it starts, restarts or changes
      let watched: any = null;
      const follow = (): void => {
        watched?.kernelChanged.disconnect(follow);
        watched = currentSession(labShell);
        watched?.kernelChanged.connect(follow);
        void item.update();
      };
      labShell?.currentChanged.connect(follow);
      follow();
      statusBar.registerStatusItem('gokernel:status', {
        item,
        align: 'left',
        rank: 5,
        isActive: () => item.active,
        activeStateChanged: item.activeChanged
      });
    }
  }
};

export default plugin;
