/**
 * gokernel's report HTML (gokernel/render.py) in an untrusted notebook: JupyterLab sanitises it, and the
 * report must come through with its tags and classes (styled by style/reports.css), not as text.
 * The fixture is written and kept current by tests/test_render.py.
 */
import { Sanitizer } from '@jupyterlab/apputils';
import fixture from './fixtures/reports.json';

function tags(html: string): string[] {
  return Array.from(html.matchAll(/<([a-zA-Z][\w-]*)/g), m => m[1]).sort();
}

describe('report HTML through JupyterLab sanitizer', () => {
  const clean = new Sanitizer().sanitize(fixture.html);

  it('keeps every tag', () => {
    expect(tags(clean)).toEqual(tags(fixture.html));
  });

  it('keeps the classes the lab extension styles', () => {
    for (const cls of ['gk-r', 'gk-sum gk-bad', 'gk-t', 'gk-head', 'num', 'gk-card', 'gk-user', 'gk-loc']) {
      expect(clean).toContain(`class="${cls}"`);
    }
  });

  it('shows no markup as text', () => {
    expect(clean).not.toMatch(/&lt;(div|span|table|tr|td|pre|code|ul|li)\b/);
  });
});
