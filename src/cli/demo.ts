import { configSchema } from '../config/schema.js'
import { startLab } from '../lab/index.js'
import { buildWorld, scenario } from '../lab/scenario.js'
import { createConfiguredSimulator, inspectSafeTransaction, runtimeFrom } from '../pipeline.js'
import { createRpcClient } from '../sources/rpc.js'
import { parseServiceTx } from '../sources/tx-json.js'
import type { Io } from './io.js'
import { renderText } from './render-text.js'
import { createStyle } from './style.js'

/**
 * `custos demo`: starts the lab (anvil + Safe 1.4.1), signs a few transactions with real owner
 * keys, and inspects each against the chain. Exits 0 when the scenario ran, whatever it found.
 */
export async function demoCommand(io: Io): Promise<number> {
  const style = createStyle(Boolean(io.stdout.isTTY) && !io.env.NO_COLOR)
  const t0 = performance.now()
  const lab = await startLab()
  try {
    const world = await buildWorld(lab)
    io.stdout.write(
      style.dim(
        `lab: anvil on ${lab.rpcUrl} (chain ${lab.chainId}), Safe 1.4.1 at the canonical addresses, started in ${Math.round(performance.now() - t0)} ms\n`,
      ) +
        style.dim(
          `Safe ${world.safe}: owners ${world.owners.map((o) => o.address).join(', ')}, threshold 2\n\n`,
        ),
    )
    const rt = runtimeFrom({
      config: configSchema.parse({
        addressBook: [{ address: world.payroll, name: 'Payroll' }],
        tokens: [{ address: lab.token, symbol: 'TT', decimals: 18 }],
      }),
      abis: [],
    })
    const client = createRpcClient([lab.rpcUrl])
    const steps = await scenario(lab, world)
    // Each transaction is also run on a fork of the lab chain, as `inspect --simulate` does.
    const simulator = createConfiguredSimulator(rt)
    try {
      for (const [i, step] of steps.entries()) {
        const report = await inspectSafeTransaction(rt, {
          source: parseServiceTx(step.json),
          client,
          simulate: { simulator, upstreams: [lab.rpcUrl] },
        })
        io.stdout.write(
          `${style.bold(`━━ ${i + 1}/${steps.length}  ${step.title}`)}\n${style.dim(`   expected: ${step.expect}`)}\n\n`,
        )
        io.stdout.write(`${renderText(report, style)}\n\n`)
      }
    } finally {
      await simulator.close()
    }
    io.stdout.write(
      style.dim(`demo finished in ${Math.round(performance.now() - t0)} ms; the lab is stopped.\n`),
    )
    return 0
  } finally {
    await lab.stop()
  }
}
