// Paths tests need: the repository root (tests run from dist/test/...), fixtures, bin/skein.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = process.env.SKEIN_REPO_ROOT ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const fixturesDir = path.join(repoRoot, 'test', 'fixtures');
export const skeinBin = path.join(repoRoot, 'bin', 'skein');
export const fixture = (...parts: string[]): string => path.join(fixturesDir, ...parts);
