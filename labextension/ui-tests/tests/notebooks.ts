/** Go notebooks for the UI tests: made in the test's directory through the contents API, then opened. */
import { expect, IJupyterLabPageFixture } from '@jupyterlab/galata';

export function goNotebook(sources: string[]): object {
  return {
    cells: sources.map(source => ({ cell_type: 'code', execution_count: null, metadata: {}, outputs: [], source })),
    metadata: {
      kernelspec: { name: 'go', display_name: 'Go', language: 'go' },
      language_info: { name: 'go' }
    },
    nbformat: 4,
    nbformat_minor: 5
  };
}

export async function openNotebook(
  page: IJupyterLabPageFixture,
  dir: string,
  name: string,
  sources: string[]
): Promise<void> {
  expect(await page.contents.uploadContent(JSON.stringify(goNotebook(sources)), 'text', `${dir}/${name}`)).toBe(true);
  await page.evaluate(async path => {
    await window.jupyterapp.commands.execute('docmanager:open', { path });
  }, `${dir}/${name}`);
  await expect(page.getByRole('tab', { name })).toBeVisible();
}
