import { type ChildProcess, spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { createServer } from 'node:net'

const require = createRequire(import.meta.url)

// The npm package @foundry-rs/anvil ships the binary in a per-platform optional dependency.
const PLATFORM_PACKAGES: Record<string, string> = {
  'linux-x64': '@foundry-rs/anvil-linux-amd64',
  'linux-arm64': '@foundry-rs/anvil-linux-arm64',
  'darwin-x64': '@foundry-rs/anvil-darwin-amd64',
  'darwin-arm64': '@foundry-rs/anvil-darwin-arm64',
  'win32-x64': '@foundry-rs/anvil-win32-amd64',
}

/** Path of the anvil binary installed by `npm ci` (no global install, no download). */
export function anvilBinary(): string {
  const pkg = PLATFORM_PACKAGES[`${process.platform}-${process.arch}`]
  if (!pkg) throw new Error(`anvil from npm has no binary for ${process.platform}-${process.arch}`)
  try {
    return require.resolve(`${pkg}/bin/anvil${process.platform === 'win32' ? '.exe' : ''}`)
  } catch (cause) {
    throw new Error(`anvil binary not found (${pkg}); run npm ci`, { cause })
  }
}

export type AnvilOptions = {
  chainId?: number
  /** Fork this RPC instead of starting an empty chain. */
  forkUrl?: string
  forkBlockNumber?: bigint
  /** Seconds between blocks; automine (a block per transaction) when omitted. */
  blockTime?: number
  /** EVM hardfork by anvil's name (`shanghai`, `cancun`, `prague`…); anvil's latest when omitted. */
  hardfork?: string
  extraArgs?: string[]
}

export type Anvil = {
  rpcUrl: string
  port: number
  process: ChildProcess
  /** Stops the node; resolves when the process has exited. Safe to call twice. */
  stop(): Promise<void>
}

const running = new Set<ChildProcess>()
let exitHookInstalled = false

/** Kills any anvil still running when this process exits, so no node outlives its owner. */
function installExitHook() {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL')
  })
}

/**
 * The environment an anvil process gets: only what a process needs to start. custos's own
 * environment holds chat tokens, routing keys and webhook secrets; a fork needs none of them
 * (it reaches its upstream through the loopback relay, and keeps no cache on disk).
 */
export function anvilEnv(from: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  // Windows cannot open sockets without SYSTEMROOT; its variable names are case-insensitive.
  const windows = process.platform === 'win32'
  const keep = windows ? ['PATH', 'HOME', 'SYSTEMROOT', 'TEMP', 'TMP'] : ['PATH', 'HOME']
  return Object.fromEntries(
    Object.entries(from).filter(([k]) => keep.includes(windows ? k.toUpperCase() : k)),
  )
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      )
    })
  })
}

/** Starts anvil on a free loopback port and resolves once it answers JSON-RPC. */
export async function startAnvil(options: AnvilOptions = {}): Promise<Anvil> {
  installExitHook()
  let lastError: unknown
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort()
    try {
      return await launch(port, options)
    } catch (error) {
      lastError = error // most likely the port was taken between probing and binding
    }
  }
  throw lastError
}

async function launch(port: number, options: AnvilOptions): Promise<Anvil> {
  const args = ['--host', '127.0.0.1', '--port', String(port), '--silent']
  if (options.chainId !== undefined) args.push('--chain-id', String(options.chainId))
  if (options.forkUrl) args.push('--fork-url', options.forkUrl)
  if (options.forkBlockNumber !== undefined)
    args.push('--fork-block-number', options.forkBlockNumber.toString())
  if (options.blockTime !== undefined) args.push('--block-time', String(options.blockTime))
  if (options.hardfork !== undefined) args.push('--hardfork', options.hardfork)
  args.push(...(options.extraArgs ?? []))
  const child = spawn(anvilBinary(), args, { stdio: ['ignore', 'ignore', 'pipe'], env: anvilEnv() })
  running.add(child)
  let stderr = ''
  child.stderr?.on('data', (d) => {
    stderr = (stderr + d).slice(-2000)
  })
  // A binary that cannot be executed (EACCES, a noexec mount) emits 'error', not 'exit'.
  let spawnError: Error | undefined
  child.once('error', (error) => {
    spawnError = error
    running.delete(child)
  })
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve())
    child.once('error', () => resolve())
  })
  child.once('exit', () => running.delete(child))
  const rpcUrl = `http://127.0.0.1:${port}`
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    await exited
  }
  const deadline = Date.now() + (options.forkUrl ? 30_000 : 10_000)
  while (Date.now() < deadline) {
    if (spawnError) throw new Error(`cannot run anvil: ${spawnError.message}`)
    if (child.exitCode !== null) throw new Error(`anvil exited with code ${child.exitCode}: ${stderr.trim()}`)
    if (await answers(rpcUrl)) return { rpcUrl, port, process: child, stop }
    await new Promise((r) => setTimeout(r, 15))
  }
  await stop()
  throw new Error(`anvil did not answer on ${rpcUrl} in time: ${stderr.trim()}`)
}

async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
      signal: AbortSignal.timeout(500),
    })
    return res.ok
  } catch {
    return false
  }
}
