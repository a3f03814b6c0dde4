/**
 * Cell references in gokernel's outputs as links.
 *
 * gokernel's compile-error and panic cards, test and race reports and error tracebacks name positions as
 * `cell[N] line M` (or `cell[N] line M:C`), N being the execution count of the cell as the kernel numbered it and
 * M a line of that cell's text (magic lines included). The kernel sends that plain text, which reads the same in
 * nbconvert's HTML, on GitHub and in a terminal, and survives any sanitiser; in JupyterLab this module turns it
 * into links (`<a class="gokernel-cellref" href="#gokernel-cell-N-line-M">`) that scroll to that cell, make it the
 * active cell and put the editor's cursor on line M. No inline script: a MutationObserver wraps the text of newly
 * rendered outputs and one delegated listener handles the clicks.
 */

/** A `cell[N] line M[:C]` reference found in a text. */
export interface ICellRef {
  /** the cell's execution count */
  cell: number;
  /** 1-based line of the cell */
  line: number;
  /** 1-based column (Go counts bytes; a tab is one), or null */
  column: number | null;
  /** where the reference starts in the text, and its length */
  index: number;
  length: number;
}

const REF = /(?<![\w[])cell\[(\d+)\] line (\d+)(?::(\d+))?/g;

/** Every `cell[N] line M[:C]` reference in `text`, in order. */
export function findCellRefs(text: string): ICellRef[] {
  const refs: ICellRef[] = [];
  for (const m of text.matchAll(REF)) {
    const cell = Number(m[1]);
    const line = Number(m[2]);
    if (line < 1) {
      continue;
    }
    refs.push({
      cell,
      line,
      column: m[3] !== undefined && Number(m[3]) >= 1 ? Number(m[3]) : null,
      index: m.index ?? 0,
      length: m[0].length
    });
  }
  return refs;
}

/** The link's fragment: `#gokernel-cell-3-line-5` or `#gokernel-cell-3-line-5-col-7`. */
export function cellRefHref(ref: Pick<ICellRef, 'cell' | 'line' | 'column'>): string {
  const col = ref.column !== null ? `-col-${ref.column}` : '';
  return `#gokernel-cell-${ref.cell}-line-${ref.line}${col}`;
}

/** The reference a link's href names, or null when it is not one of ours. */
export function parseCellRefHref(href: string | null): Pick<ICellRef, 'cell' | 'line' | 'column'> | null {
  const m = /#gokernel-cell-(\d+)-line-(\d+)(?:-col-(\d+))?$/.exec(href ?? '');
  if (!m) {
    return null;
  }
  return { cell: Number(m[1]), line: Number(m[2]), column: m[3] !== undefined ? Number(m[3]) : null };
}

export const LINK_CLASS = 'gokernel-cellref';

/**
 * The parts of rendered outputs that carry gokernel positions: its HTML reports and cards (`.gk-r`) and
 * error/stderr text (tracebacks). Other outputs (a program's stdout, other MIME types) are left alone.
 */
export const OUTPUT_SELECTOR = '.gk-r, [data-mime-type="application/vnd.jupyter.stderr"]';

/** Wrap the references in the text under `root` in links; text already inside a link is left as it is. */
export function linkify(root: Node): number {
  const doc = root.ownerDocument ?? (root as Document);
  const walker = doc.createTreeWalker(root, 4 /* NodeFilter.SHOW_TEXT */);
  const texts: Text[] = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const text = n as Text;
    if (text.data.includes('cell[') && !text.parentElement?.closest('a, textarea, [contenteditable="true"]')) {
      texts.push(text);
    }
  }
  let made = 0;
  for (const text of texts) {
    const refs = findCellRefs(text.data);
    if (refs.length === 0) {
      continue;
    }
    const frag = doc.createDocumentFragment();
    let at = 0;
    for (const ref of refs) {
      if (ref.index > at) {
        frag.appendChild(doc.createTextNode(text.data.slice(at, ref.index)));
      }
      const a = doc.createElement('a');
      a.className = LINK_CLASS;
      a.href = cellRefHref(ref);
      a.title = `Go to line ${ref.line} of cell [${ref.cell}]`;
      a.textContent = text.data.slice(ref.index, ref.index + ref.length);
      frag.appendChild(a);
      at = ref.index + ref.length;
      made++;
    }
    if (at < text.data.length) {
      frag.appendChild(doc.createTextNode(text.data.slice(at)));
    }
    text.replaceWith(frag);
  }
  return made;
}

/** Link the references in every gokernel output under (or around) `node`. */
export function linkifyOutputs(node: Node): void {
  const el = node instanceof Element ? node : node.parentElement;
  if (!el) {
    return;
  }
  const around = el.closest(OUTPUT_SELECTOR);
  if (around) {
    linkify(around);
    return;
  }
  el.querySelectorAll(OUTPUT_SELECTOR).forEach(out => {
    if (!out.parentElement?.closest(OUTPUT_SELECTOR)) {
      linkify(out);
    }
  });
}

// ---- navigation: what it needs of JupyterLab's notebook (typed here, so jest can test it with plain objects) ----

export interface IEditorPosition {
  line: number;
  column: number;
}

export interface IEditorLike {
  readonly lineCount: number;
  getLine(line: number): string | undefined;
  setCursorPosition(position: IEditorPosition): void;
  revealPosition(position: IEditorPosition): void;
  focus(): void;
}

export interface ICellLike {
  readonly model: { readonly type: string; readonly executionCount?: number | null };
  readonly editor: IEditorLike | null;
  readonly ready?: Promise<void>;
  readonly node: HTMLElement;
}

export interface INotebookLike {
  readonly widgets: readonly ICellLike[];
  activeCellIndex: number;
  mode: 'command' | 'edit';
  deselectAll(): void;
  scrollToItem?(index: number, alignment?: 'auto' | 'smart' | 'center' | 'start' | 'end'): Promise<void>;
}

/**
 * The index of the code cell whose execution count is `count`, or -1. After a kernel restart two cells can share
 * a count: the one nearest above `near` (the cell whose output was clicked) wins, as errors name the cells run
 * before them; failing that, the nearest below.
 */
export function findCellByCount(cells: readonly ICellLike[], count: number, near = cells.length - 1): number {
  let below = -1;
  for (let i = cells.length - 1; i >= 0; i--) {
    const model = cells[i].model;
    if (model.type !== 'code' || model.executionCount !== count) {
      continue;
    }
    if (i <= near) {
      return i;
    }
    below = i;
  }
  return below;
}

/**
 * Make cell `index` the active (and only selected) cell, scroll it into view, enter edit mode and put the cursor
 * on the reference's line (and column; both clamped to the cell's text). False when the cell has no editor.
 */
export async function revealCellLine(
  notebook: INotebookLike,
  index: number,
  ref: Pick<ICellRef, 'line' | 'column'>
): Promise<boolean> {
  const cell = notebook.widgets[index];
  if (!cell) {
    return false;
  }
  notebook.deselectAll();
  notebook.activeCellIndex = index;
  if (notebook.scrollToItem) {
    await notebook.scrollToItem(index, 'smart');
  }
  await cell.ready;
  const editor = cell.editor;
  if (!editor) {
    return false;
  }
  notebook.mode = 'edit';
  // focus first: an editor that gains focus may take its selection from the page's (the clicked output's)
  editor.focus();
  const line = Math.min(Math.max(ref.line, 1), Math.max(editor.lineCount, 1)) - 1;
  const text = editor.getLine(line) ?? '';
  const column = ref.column !== null ? Math.min(byteColumnToIndex(text, ref.column), text.length) : 0;
  const position = { line, column };
  editor.setCursorPosition(position);
  editor.revealPosition(position);
  return true;
}

/** Go's 1-based byte column → a 0-based string index in `text` (multi-byte characters count once). */
export function byteColumnToIndex(text: string, column: number): number {
  const encoder = new TextEncoder();
  let bytes = 0;
  let index = 0;
  for (const ch of text) {
    if (bytes >= column - 1) {
      break;
    }
    bytes += encoder.encode(ch).length;
    index += ch.length;
  }
  return index;
}

/** What the delegated listener needs of a notebook panel. */
export interface IPanelLike {
  readonly content: INotebookLike;
}

/**
 * Linkifies gokernel outputs under `host` as they are rendered and follows clicks on the links.
 * `panelFor` finds the notebook panel of a node (null when the node is not in a Go notebook);
 * `onMissing` is told when the named cell is not in the notebook any more (re-run or deleted).
 */
export class CellRefLinks {
  constructor(
    private readonly _host: HTMLElement,
    private readonly _panelFor: (node: Element) => IPanelLike | null,
    private readonly _onMissing: (cell: number) => void
  ) {
    this._observer = new MutationObserver(records => this._onMutations(records));
    this._observer.observe(_host, { childList: true, subtree: true });
    _host.addEventListener('click', this._onClick, true);
    this._linkAreas(Array.from(_host.querySelectorAll('.jp-Notebook .jp-OutputArea')));
  }

  dispose(): void {
    this._observer.disconnect();
    this._host.removeEventListener('click', this._onClick, true);
  }

  private _onMutations(records: MutationRecord[]): void {
    const areas = new Set<Element>();
    for (const record of records) {
      const target = record.target instanceof Element ? record.target : record.target.parentElement;
      // only rendered outputs of notebooks (not editors' text, toolbars, the sidebar)
      if (record.addedNodes.length === 0 || !target?.closest('.jp-Notebook')) {
        continue;
      }
      const area = target.closest('.jp-OutputArea');
      if (area) {
        areas.add(area);
        continue;
      }
      // a cell attached with its outputs already rendered (a notebook opened, a cell scrolled into view)
      record.addedNodes.forEach(node => {
        if (node instanceof Element) {
          node.querySelectorAll('.jp-OutputArea').forEach(a => areas.add(a));
        }
      });
    }
    this._linkAreas(areas);
  }

  private _linkAreas(areas: Iterable<Element>): void {
    for (const area of areas) {
      if (this._panelFor(area)) {
        linkifyOutputs(area);
      }
    }
    // the links just made are mutations too: nothing more to do for them
    this._observer.takeRecords();
  }

  private readonly _onClick = (event: MouseEvent): void => {
    const target = event.target instanceof Element ? event.target : null;
    const link = target?.closest(`a.${LINK_CLASS}`);
    const ref = parseCellRefHref(link?.getAttribute('href') ?? null);
    if (!link || !ref || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) {
      return;
    }
    const panel = this._panelFor(link);
    if (!panel) {
      return;
    }
    event.preventDefault();
    event.stopPropagation();
    const notebook = panel.content;
    const from = notebook.widgets.findIndex(c => c.node.contains(link));
    const index = findCellByCount(notebook.widgets, ref.cell, from >= 0 ? from : undefined);
    if (index < 0) {
      this._onMissing(ref.cell);
      return;
    }
    // after the notebook has handled this click (it activates the cell that was clicked in, in command mode)
    setTimeout(() => void revealCellLine(notebook, index, ref), 0);
  };

  private readonly _observer: MutationObserver;
}
