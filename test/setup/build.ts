import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

// Some tests run the real binary (bin/custos.js → dist/). `npm ci` builds dist through
// `prepare`; when sources changed since, rebuild once so those tests never run stale code.
export default function setup() {
  const root = join(import.meta.dirname, '../..')
  const entry = join(root, 'dist/src/cli/main.js')
  const newest = (dir: string): number =>
    readdirSync(dir, { withFileTypes: true }).reduce((max, e) => {
      const p = join(dir, e.name)
      return Math.max(max, e.isDirectory() ? newest(p) : statSync(p).mtimeMs)
    }, 0)
  const built = existsSync(entry) ? statSync(entry).mtimeMs : 0
  if (Math.max(newest(join(root, 'src')), newest(join(root, 'guards'))) > built) {
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' })
  }
}
