/**
 * `cell[N] line M` references in gokernel outputs: parsing, linking the rendered text, and going to the cell.
 */
import {
  byteColumnToIndex,
  CellRefLinks,
  cellRefHref,
  findCellByCount,
  findCellRefs,
  ICellLike,
  IEditorPosition,
  INotebookLike,
  linkify,
  linkifyOutputs,
  parseCellRefHref,
  revealCellLine
} from '../cellrefs';

describe('findCellRefs', () => {
  it('finds the references of compile errors, panics and tracebacks', () => {
    const text = 'cell[3] line 5:7: undefined: x\nmain.f at cell[12] line 2\n\tpanic at cell[4] line 10 (see cell[4])';
    expect(findCellRefs(text).map(r => [r.cell, r.line, r.column])).toEqual([
      [3, 5, 7],
      [12, 2, null],
      [4, 10, null]
    ]);
  });

  it('gives the span of each reference', () => {
    const text = 'at cell[12] line 2: boom';
    const [ref] = findCellRefs(text);
    expect(text.slice(ref.index, ref.index + ref.length)).toBe('cell[12] line 2');
  });

  it('ignores look-alikes', () => {
    expect(findCellRefs('mycell[3] line 4, cell[x] line 2, cell[3] lines 4, cell[3] line 0, cell[3]')).toEqual([]);
  });

  it('round-trips through the link fragment', () => {
    for (const ref of [
      { cell: 3, line: 5, column: 7 },
      { cell: 12, line: 2, column: null }
    ]) {
      expect(parseCellRefHref(cellRefHref(ref))).toEqual(ref);
    }
    expect(cellRefHref({ cell: 3, line: 5, column: null })).toBe('#gokernel-cell-3-line-5');
    expect(parseCellRefHref('#section-2')).toBeNull();
    expect(parseCellRefHref(null)).toBeNull();
  });

  it('maps Go byte columns to string indexes', () => {
    expect(byteColumnToIndex('\tx := 1', 2)).toBe(1);
    expect(byteColumnToIndex('s := "é" + y', 13)).toBe(11); // é is two bytes: y is byte 13, index 11
    expect(byteColumnToIndex('ab', 1)).toBe(0);
  });
});

describe('linkify', () => {
  it('wraps each reference in a link and keeps the text', () => {
    const div = document.createElement('div');
    div.innerHTML =
      "<span class='gk-loc'>cell[3] line 5:7</span>: undefined: x<pre>at cell[2] line 1 and cell[1] line 4</pre>";
    const before = div.textContent;
    expect(linkify(div)).toBe(3);
    expect(div.textContent).toBe(before);
    const links = Array.from(div.querySelectorAll('a.gokernel-cellref'));
    expect(links.map(a => [a.getAttribute('href'), a.textContent])).toEqual([
      ['#gokernel-cell-3-line-5-col-7', 'cell[3] line 5:7'],
      ['#gokernel-cell-2-line-1', 'cell[2] line 1'],
      ['#gokernel-cell-1-line-4', 'cell[1] line 4']
    ]);
    // a second pass finds them already linked
    expect(linkify(div)).toBe(0);
  });

  it('links only gokernel reports and error text', () => {
    const area = document.createElement('div');
    area.innerHTML =
      '<div data-mime-type="text/plain">printed: cell[1] line 1</div>' +
      '<div data-mime-type="text/html"><div class="gk-r">✗ at cell[1] line 2</div></div>' +
      '<div data-mime-type="application/vnd.jupyter.stderr"><pre>cell[1] line 3: boom</pre></div>';
    linkifyOutputs(area);
    expect(Array.from(area.querySelectorAll('a'), a => a.textContent)).toEqual(['cell[1] line 2', 'cell[1] line 3']);
  });
});

function fakeEditor(lines: string[]): { editor: ICellLike['editor']; at: () => IEditorPosition | null } {
  let cursor: IEditorPosition | null = null;
  return {
    editor: {
      lineCount: lines.length,
      getLine: (n: number) => lines[n],
      setCursorPosition: (p: IEditorPosition) => {
        cursor = p;
      },
      revealPosition: () => undefined,
      focus: () => undefined
    },
    at: () => cursor
  };
}

function fakeCell(count: number | null, lines: string[] = ['']): ICellLike & { at: () => IEditorPosition | null } {
  const { editor, at } = fakeEditor(lines);
  return { model: { type: 'code', executionCount: count }, editor, node: document.createElement('div'), at };
}

function fakeNotebook(cells: ICellLike[]): INotebookLike {
  return {
    widgets: cells,
    activeCellIndex: 0,
    mode: 'command',
    deselectAll: () => undefined,
    scrollToItem: () => Promise.resolve()
  };
}

describe('going to a cell', () => {
  it('finds the cell by execution count, the nearest above the clicked one after a restart', () => {
    const cells = [fakeCell(1), fakeCell(2), fakeCell(1), fakeCell(null), fakeCell(3)];
    expect(findCellByCount(cells, 2)).toBe(1);
    expect(findCellByCount(cells, 1, 4)).toBe(2);
    expect(findCellByCount(cells, 1, 1)).toBe(0);
    expect(findCellByCount(cells, 3, 0)).toBe(4);
    expect(findCellByCount(cells, 7)).toBe(-1);
    const markdown: ICellLike = { ...fakeCell(5), model: { type: 'markdown' } };
    expect(findCellByCount([markdown], 5)).toBe(-1);
  });

  it('activates the cell and puts the cursor on the line and column', async () => {
    const target = fakeCell(2, ['x := 1', '\ty := "é" + z', '']);
    const notebook = fakeNotebook([fakeCell(1), target]);
    expect(await revealCellLine(notebook, 1, { line: 2, column: 13 })).toBe(true);
    expect(notebook.activeCellIndex).toBe(1);
    expect(notebook.mode).toBe('edit');
    expect(target.at()).toEqual({ line: 1, column: 11 });
  });

  it('clamps a line past the end of an edited cell', async () => {
    const target = fakeCell(2, ['only line']);
    expect(await revealCellLine(fakeNotebook([target]), 0, { line: 9, column: null })).toBe(true);
    expect(target.at()).toEqual({ line: 0, column: 0 });
  });

  it('follows a click on a link in a Go notebook, and says when the cell is gone', async () => {
    const host = document.createElement('div');
    document.body.appendChild(host);
    const source = fakeCell(1, ['a', 'b', 'c']);
    const errored = fakeCell(2);
    const notebook = fakeNotebook([source, errored]);
    const missing: number[] = [];
    const links = new CellRefLinks(
      host,
      () => ({ content: notebook }),
      cell => missing.push(cell)
    );
    errored.node.innerHTML =
      '<div class="jp-OutputArea"><div class="gk-r">at cell[1] line 3, was cell[9] line 1</div></div>';
    host.classList.add('jp-Notebook');
    host.appendChild(errored.node);
    await new Promise(resolve => setTimeout(resolve, 0)); // the MutationObserver
    const [good, gone] = Array.from(errored.node.querySelectorAll('a.gokernel-cellref')) as HTMLElement[];
    expect(good).toBeDefined();
    good.click();
    await new Promise(resolve => setTimeout(resolve, 10));
    expect(notebook.activeCellIndex).toBe(0);
    expect(source.at()).toEqual({ line: 2, column: 0 });
    gone.click();
    expect(missing).toEqual([9]);
    links.dispose();
    host.remove();
  });
});
