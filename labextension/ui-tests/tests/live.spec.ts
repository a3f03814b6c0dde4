/**
 * The live session and gopls completion in a real JupyterLab: a value set in one cell is used by the next, a
 * goroutine's output after its cell ended shows in that cell, and Tab after a dot lists members with their kinds.
 */
import { expect, test } from '@jupyterlab/galata';
import { openNotebook } from './notebooks';

test.describe.configure({ mode: 'serial' });
test.use({ autoGoto: true });

test('values and goroutines live across cells; late output shows in its cell', async ({ page, tmpPath }) => {
  await openNotebook(page, tmpPath, 'live.ipynb', [
    'type point struct{ x, y int }\np := &point{1, 2}\ngo func() {\n\ttime.Sleep(1500 * time.Millisecond)\n\tfmt.Println("late hello")\n}()',
    'p.x += 40\np.x + p.y'
  ]);
  expect(await page.notebook.runCell(0)).toBe(true);
  // printed by the goroutine after cell 0 had finished (and before any other cell runs, which would get it):
  // JupyterLab keeps it in cell 0
  await expect
    .poll(async () => ((await page.notebook.getCellTextOutput(0)) ?? []).join('\n'), { timeout: 20000 })
    .toContain('late hello');
  expect(await page.notebook.runCell(1)).toBe(true);
  expect((await page.notebook.getCellTextOutput(1))?.join('\n')).toContain('43');
  await page.notebook.close(true);
});

test('Tab after a dot lists members with their kinds (gopls)', async ({ page, tmpPath }) => {
  await openNotebook(page, tmpPath, 'complete.ipynb', ['import "strings"\n\nstrings.ToUp', '']);
  expect(await page.notebook.runCell(1)).toBe(true); // starts the kernel (and the live session)
  const items = page.locator('.jp-Completer-item');
  // the first requests may be answered before gopls is ready (names only): ask until kinds come
  await expect
    .poll(
      async () => {
        await page.notebook.enterCellEditingMode(0);
        await page.keyboard.press('Control+End');
        await page.keyboard.press('Tab');
        await page.waitForTimeout(700);
        const shown = await items.allTextContents();
        const typed = await page.locator('.jp-Completer-item .jp-Completer-type').count();
        return shown.some(t => t.includes('ToUpper')) && typed > 0;
      },
      { timeout: 60000, intervals: [1000] }
    )
    .toBe(true);
  await page.keyboard.press('Escape');
  await page.notebook.close(true);
});
