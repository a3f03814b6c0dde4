/**
 * gokernel's outputs in a real JupyterLab: `cell[N] line M` references are links to the cell and line; the test
 * report with a data race, a compile error card, a panic and a benchmark report reach WCAG AA contrast (4.5:1)
 * for every piece of text, in the light and the dark theme, measured from the browser's computed colours; and
 * screenshots of them in both themes are saved as test artifacts.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import { openNotebook } from './notebooks';
import { Locator, TestInfo } from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';

test.describe.configure({ mode: 'serial' });
test.use({ autoGoto: true });

/** The notebook's active cell, its mode and the editor's cursor line (0-based). */
async function activeCursor(page: IJupyterLabPageFixture): Promise<{ index: number; line: number; mode: string }> {
  return page.evaluate(() => {
    const notebook = (window.jupyterapp.shell.currentWidget as any).content;
    const position = notebook.activeCell.editor.getCursorPosition();
    return { index: notebook.activeCellIndex, line: position.line, mode: notebook.mode };
  });
}

function cell(page: IJupyterLabPageFixture, index: number): Locator {
  return page.locator('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell').nth(index);
}

test('cell[N] line M in an error card and its traceback go to that cell and line', async ({ page, tmpPath }) => {
  test.setTimeout(180000);
  await openNotebook(page, tmpPath, 'refs.ipynb', [
    'x := 1',
    // the compile error is on line 3 of this cell
    'a := 1\n_ = a\nb := nope + 1\n_ = b',
    'fmt.Println("other", x)'
  ]);
  expect(await page.notebook.runCell(0)).toBe(true);
  expect(await page.notebook.runCell(1)).toBe(true);
  expect(await page.notebook.runCell(2)).toBe(true);
  // cell 1 ran second: the kernel numbered it 2
  const card = cell(page, 1).locator('.gk-r');
  await expect(card).toContainText('cell[2] line 3:6');
  const link = card.locator('a.gokernel-cellref', { hasText: 'cell[2] line 3:6' });
  await expect(link).toHaveAttribute('href', '#gokernel-cell-2-line-3-col-6');

  // the last cell ran last: it is the active one, then the link moves to cell 1, line 3 (0-based 2), column 6
  expect((await activeCursor(page)).index).not.toBe(1);
  await link.click();
  await expect.poll(() => activeCursor(page)).toEqual({ index: 1, line: 2, mode: 'edit' });
  const column = await page.evaluate(
    () => (window.jupyterapp.shell.currentWidget as any).content.activeCell.editor.getCursorPosition().column
  );
  expect(column).toBe(5);
  await expect(cell(page, 1)).toHaveClass(/jp-mod-active/);
  expect(page.url()).not.toContain('#gokernel-cell'); // no navigation

  // the error's traceback (text) links too; from another cell, back to the same place
  await page.notebook.selectCells(2);
  const traceback = cell(page, 1).locator('[data-mime-type="application/vnd.jupyter.stderr"] a.gokernel-cellref');
  await expect(traceback.first()).toHaveText('cell[2] line 3:6');
  // from the keyboard: a focused link and Enter
  await traceback.first().focus();
  await page.keyboard.press('Enter');
  await expect.poll(() => activeCursor(page)).toEqual({ index: 1, line: 2, mode: 'edit' });

  // a panic's traceback: its frames link to the cell that defined the function
  await page.notebook.setCell(2, 'code', 'func boom() {\n\tpanic("boom")\n}\nboom()');
  expect(await page.notebook.runCell(2)).toBe(true);
  const frame = cell(page, 2).locator('a.gokernel-cellref', { hasText: /line 2$/ });
  await expect(frame.first()).toBeVisible();
  await page.notebook.selectCells(0);
  await frame.first().click();
  await expect.poll(() => activeCursor(page)).toEqual({ index: 2, line: 1, mode: 'edit' });

  // saved outputs link too when the notebook is opened again (rendered on open, not by a run)
  await page.notebook.save();
  await page.notebook.close(true);
  await page.evaluate(async path => {
    await window.jupyterapp.commands.execute('docmanager:open', { path });
  }, `${tmpPath}/refs.ipynb`);
  const saved = cell(page, 1).locator('.gk-r a.gokernel-cellref', { hasText: 'cell[2] line 3:6' });
  await expect(saved).toBeVisible();
  await saved.click();
  await expect.poll(() => activeCursor(page)).toEqual({ index: 1, line: 2, mode: 'edit' });

  await page.notebook.close(true);
});

/** One text-bearing element's colours: what WCAG's contrast formula needs, computed in the page. */
interface ISample {
  text: string;
  where: string;
  fg: string;
  bg: string;
  ratio: number;
}

/**
 * For every element under `roots` with its own visible text: the computed text colour (its alpha and the
 * ancestors' opacity applied) over the effective background (the backgrounds of the element and its ancestors,
 * composited from the first opaque one), and their WCAG contrast ratio.
 */
async function contrastSamples(page: IJupyterLabPageFixture, selector: string): Promise<ISample[]> {
  return page.evaluate(sel => {
    type RGBA = [number, number, number, number];
    const parse = (css: string): RGBA => {
      const m = /rgba?\(([^)]+)\)/.exec(css);
      if (!m) {
        throw new Error(`unparsed colour ${css}`);
      }
      const parts = m[1]
        .split(/[\s,/]+/)
        .filter(Boolean)
        .map(Number);
      return [parts[0], parts[1], parts[2], parts.length > 3 ? parts[3] : 1];
    };
    const over = (top: RGBA, bottom: RGBA): RGBA => {
      const a = top[3];
      return [0, 1, 2].map(i => top[i] * a + bottom[i] * (1 - a)).concat(1) as RGBA;
    };
    const luminance = (c: RGBA): number => {
      const lin = c.slice(0, 3).map(v => {
        const s = v / 255;
        return s <= 0.03928 ? s / 12.92 : Math.pow((s + 0.055) / 1.055, 2.4);
      });
      return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2];
    };
    const background = (el: Element): RGBA => {
      const layers: RGBA[] = [];
      for (let e: Element | null = el; e; e = e.parentElement) {
        const bg = parse(getComputedStyle(e).backgroundColor);
        if (bg[3] > 0) {
          layers.push(bg);
          if (bg[3] >= 1) {
            break;
          }
        }
      }
      // nothing opaque up to <html>: the canvas is white
      let color: RGBA = [255, 255, 255, 1];
      for (const layer of layers.reverse()) {
        color = over(layer, color);
      }
      return color;
    };
    const show = (c: RGBA): string => `rgb(${c.slice(0, 3).map(Math.round).join(', ')})`;
    const samples: ISample[] = [];
    for (const root of Array.from(document.querySelectorAll(sel))) {
      for (const el of [root, ...Array.from(root.querySelectorAll('*'))]) {
        const own = Array.from(el.childNodes)
          .filter(n => n.nodeType === Node.TEXT_NODE)
          .map(n => n.textContent ?? '')
          .join('')
          .trim();
        const style = getComputedStyle(el);
        if (!own || el.getClientRects().length === 0 || style.visibility === 'hidden') {
          continue;
        }
        let opacity = 1;
        for (let e: Element | null = el; e; e = e.parentElement) {
          opacity *= Number(getComputedStyle(e).opacity);
        }
        const bg = background(el);
        const raw = parse(style.color);
        const fg = over([raw[0], raw[1], raw[2], raw[3] * opacity], bg);
        const [l1, l2] = [luminance(fg), luminance(bg)].sort((a, b) => b - a);
        samples.push({
          text: own.slice(0, 40),
          where: `${el.tagName.toLowerCase()}.${Array.from(el.classList).join('.')}`,
          fg: show(fg),
          bg: show(bg),
          ratio: Math.round(((l1 + 0.05) / (l2 + 0.05)) * 100) / 100
        });
      }
    }
    return samples;
  }, selector);
}

async function setTheme(page: IJupyterLabPageFixture, theme: 'JupyterLab Light' | 'JupyterLab Dark'): Promise<void> {
  await page.evaluate(async name => {
    await window.jupyterapp.commands.execute('apputils:change-theme', { theme: name });
  }, theme);
  await expect(page.locator('body')).toHaveAttribute('data-jp-theme-name', theme, { timeout: 30000 });
  await expect(page.locator('body')).toHaveAttribute(
    'data-jp-theme-light',
    theme === 'JupyterLab Light' ? 'true' : 'false'
  );
  await page.waitForTimeout(500); // the theme's CSS applied
}

async function saveShot(target: Locator, testInfo: TestInfo, name: string): Promise<string> {
  const file = testInfo.outputPath(name);
  await target.screenshot({ path: file });
  await testInfo.attach(name, { path: file, contentType: 'image/png' });
  return file;
}

/** Screenshots next to each other in one PNG (composed in a page of its own), attached as `name`. */
async function sideBySide(
  page: IJupyterLabPageFixture,
  files: string[],
  testInfo: TestInfo,
  name: string
): Promise<string> {
  const other = await page.context().newPage();
  await other.setViewportSize({ width: 2000, height: 2400 });
  const images = files.map(f => `<img src="data:image/png;base64,${fs.readFileSync(f).toString('base64')}">`);
  await other.setContent(`<body style="margin:0"><div id="both" style="display:inline-flex">${images.join('')}</div>`);
  await other.locator('#both img').last().waitFor();
  const file = await saveShot(other.locator('#both'), testInfo, name);
  await other.close();
  return file;
}

const RACY = 'var counter int\n\nfunc incr(wg *sync.WaitGroup) {\n\tcounter++\n\twg.Done()\n}';
const TESTS = [
  '%%test -race',
  'func TestCounter(t *testing.T) {',
  '\tvar wg sync.WaitGroup',
  '\tfor i := 0; i < 2; i++ {',
  '\t\twg.Add(1)',
  '\t\tgo incr(&wg)',
  '\t}',
  '\twg.Wait()',
  '}',
  '',
  'func TestSum(t *testing.T) {',
  '\tfor _, n := range []int{1, 2} {',
  '\t\tt.Run(fmt.Sprint("n=", n), func(t *testing.T) {',
  '\t\t\tif n*2 == 4 {',
  '\t\t\t\tt.Errorf("double(%d) = %d, want 5", n, n*2)',
  '\t\t\t}',
  '\t\t})',
  '\t}',
  '}',
  '',
  'func TestSkipped(t *testing.T) { t.Skip("not on this machine") }'
].join('\n');
const COMPILE_ERROR = 'total := 0\nfor _, v := range []int{1, 2} {\n\ttotal += v\n}\nfmt.Println(totl)';
const PANIC = 'func divide(a, b int) int {\n\treturn a / b\n}\n\nfmt.Println(divide(1, 0))';
const BENCH = [
  'func BenchmarkConcat(b *testing.B) {',
  '\tfor i := 0; i < b.N; i++ {',
  '\t\ts := ""',
  '\t\tfor j := 0; j < 20; j++ {',
  '\t\t\ts += "x"',
  '\t\t}',
  '\t\t_ = s',
  '\t}',
  '}',
  '',
  'func BenchmarkBuilder(b *testing.B) {',
  '\tfor i := 0; i < b.N; i++ {',
  '\t\tvar sb strings.Builder',
  '\t\tfor j := 0; j < 20; j++ {',
  '\t\t\tsb.WriteString("x")',
  '\t\t}',
  '\t\t_ = sb.String()',
  '\t}',
  '}'
].join('\n');
const RUN_BENCH = '%%bench -count 3 -benchtime 20ms';

test('reports reach WCAG AA contrast in the light and the dark theme; screenshots of both', async ({
  page,
  tmpPath
}, testInfo) => {
  test.setTimeout(300000);
  // tall enough for the whole test report: element screenshots do not scroll the notebook
  await page.setViewportSize({ width: 1100, height: 2400 });
  const sources = [RACY, TESTS, COMPILE_ERROR, PANIC, BENCH, RUN_BENCH, RUN_BENCH];
  await openNotebook(page, tmpPath, 'reports.ipynb', sources);
  for (let i = 0; i < sources.length; i++) {
    expect(await page.notebook.runCell(i)).toBe(true);
  }
  // the outputs are what the test is about: check they are there before measuring them
  await expect(cell(page, 1).locator('.gk-r')).toContainText('Data race');
  await expect(cell(page, 1).locator('.gk-r .gk-user').first()).toBeVisible();
  await expect(cell(page, 2).locator('.gk-r')).toContainText('undefined: totl');
  await expect(cell(page, 3).locator('[data-mime-type="application/vnd.jupyter.stderr"]')).toContainText(
    'integer divide by zero'
  );
  await expect(cell(page, 5).locator('.gk-r')).toContainText('BenchmarkConcat');
  await expect(cell(page, 6).locator('.gk-r')).toContainText('BenchmarkBuilder');
  const outputs = '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output';
  const failures: string[] = [];
  const shots: Record<string, string> = {};
  for (const theme of ['JupyterLab Light', 'JupyterLab Dark'] as const) {
    await setTheme(page, theme);
    const samples = await contrastSamples(page, outputs);
    expect(samples.length).toBeGreaterThan(40);
    // the race card's user frames, the links to cells, a panic's traceback and a test's full output are among them
    expect(samples.some(s => s.where.includes('gk-user'))).toBe(true);
    expect(samples.some(s => s.where.includes('gokernel-cellref'))).toBe(true);
    expect(samples.some(s => s.text.includes('panic: runtime error'))).toBe(true);
    expect(samples.some(s => s.text.includes('WARNING: DATA RACE'))).toBe(true);
    testInfo.annotations.push({
      type: `contrast (${theme})`,
      description: `${samples.length} text elements, lowest ${Math.min(...samples.map(s => s.ratio))}:1`
    });
    for (const s of samples.filter(s => s.ratio < 4.5)) {
      failures.push(`${theme}: ${s.ratio}:1 "${s.text}" (${s.where}) ${s.fg} on ${s.bg}`);
    }
    const slug = theme === 'JupyterLab Light' ? 'light' : 'dark';
    for (const [index, name] of [
      [1, 'test-race'],
      [2, 'compile-error'],
      [3, 'panic'],
      [6, 'bench']
    ] as const) {
      const out = cell(page, index).locator('.jp-Cell-outputWrapper');
      await out.scrollIntoViewIfNeeded();
      shots[`${name}-${slug}`] = await saveShot(out, testInfo, `${name}-${slug}.png`);
    }
  }
  await setTheme(page, 'JupyterLab Light');
  expect(failures, failures.join('\n')).toEqual([]);

  // the README's picture: the test report in both themes, side by side; optionally copied to the docs
  const both = await sideBySide(page, [shots['test-race-light'], shots['test-race-dark']], testInfo, 'reports.png');
  const docs = process.env.GOKERNEL_DOCS_DIR;
  if (docs) {
    fs.mkdirSync(docs, { recursive: true });
    fs.copyFileSync(both, path.join(docs, 'reports.png'));
  }
  await page.notebook.close(true);
});
