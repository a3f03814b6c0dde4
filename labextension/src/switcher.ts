import { IToolchain } from './request';

/** "go1.22.10" → [1, 22, 10] (a prerelease such as go1.23rc1 sorts below its release). */
function versionKey(version: string): number[] {
  const m = /^go(\d+)(?:\.(\d+))?(?:\.(\d+))?(.*)$/.exec(version);
  if (!m) {
    return [-1];
  }
  return [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0), m[4] ? -1 : 0];
}

export function compareVersions(a: string, b: string): number {
  const ka = versionKey(a);
  const kb = versionKey(b);
  for (let i = 0; i < Math.max(ka.length, kb.length); i++) {
    const d = (ka[i] ?? 0) - (kb[i] ?? 0);
    if (d !== 0) {
      return d;
    }
  }
  return 0;
}

export interface ISwitcherItem {
  text: string;
  toolchain: IToolchain;
}

/**
 * The palette switcher's choices: usable toolchains, newest first, each "version — where it lives"; a version
 * found in several places also shows its GOROOT, so two "go1.22.10" entries can be told apart.
 */
export function switcherItems(toolchains: IToolchain[]): ISwitcherItem[] {
  const usable = toolchains.filter(t => t.usable);
  const count = new Map<string, number>();
  for (const t of usable) {
    count.set(t.version, (count.get(t.version) ?? 0) + 1);
  }
  return usable
    .slice()
    .sort((a, b) => compareVersions(b.version, a.version) || a.label.localeCompare(b.label))
    .map(t => ({
      text: (count.get(t.version) ?? 0) > 1 ? `${t.version} — ${t.label} (${t.goroot})` : `${t.version} — ${t.label}`,
      toolchain: t
    }));
}
