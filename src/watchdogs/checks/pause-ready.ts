import { formatEther, multicall3Abi } from 'viem'
import { type CheckProblem, MULTICALL3 } from '../../model/check.js'
import { callOf, defineCheck, failureOf, readValue } from '../define.js'

// The pause path works right now: the configured pause call, made from the account that would
// send it, succeeds in a simulation on a fork of the chain, and that account holds enough of the
// native token for `pauses` of them at today's fees. A path that broke is found before the day
// it is needed; a simulation that could not run says so, and is never read as "ready".

const getEthBalance = multicall3Abi.find((f) => f.type === 'function' && f.name === 'getEthBalance')
/** Gas per pause when the simulation gives none (it reverted): a plain pause costs well under this. */
const FALLBACK_GAS = 200_000n

export const pauseReady = defineCheck({
  kind: 'pause-ready',
  codes: ['no-pause', 'pause-reverts', 'low-balance', 'simulation-unavailable', 'unreadable'],
  needsFees: true,
  reads: (c) => (getEthBalance ? [callOf('balance', MULTICALL3, getEthBalance, [c.sender])] : []),
  simulate: (c, pause) => (pause ? { from: c.sender, to: pause.target, data: pause.data } : undefined),
  evaluate(c, facts, pause) {
    const problems: CheckProblem[] = []
    if (!pause)
      return {
        ok: false,
        problems: [{ code: 'no-pause', key: 'no-pause', message: 'no pause call is configured' }],
        summary: '',
      }
    const sim = facts.simulation
    if (!sim || sim.unavailable)
      problems.push({
        code: 'simulation-unavailable',
        key: 'simulation-unavailable',
        message: `the pause could not be simulated (${sim?.unavailable ?? 'no simulation'}): custos cannot say it works`,
      })
    else if (!sim.ok)
      problems.push({
        code: 'pause-reverts',
        key: 'pause-reverts',
        message: `${pause.signature} from ${c.sender} reverts on the fork: ${sim.revertReason ?? 'no reason given'}`,
      })
    // What sending costs, as the veto key prepares it: estimated gas plus a margin, at the largest fee.
    const gas = sim?.ok && sim.gas > 0n ? (sim.gas * 13n) / 10n + 20_000n : FALLBACK_GAS
    const fee = facts.maxFeePerGas
    const balance = readValue<bigint>(facts.reads, 'balance')
    if (balance === undefined)
      problems.push({
        code: 'unreadable',
        key: 'unreadable:balance',
        message: `the sender's balance cannot be read: ${failureOf(facts.reads, 'balance')}`,
      })
    else if (fee === undefined)
      problems.push({
        code: 'unreadable',
        key: 'unreadable:fees',
        message: 'the fees of the moment cannot be read',
      })
    else {
      const need = gas * fee * BigInt(c.pauses)
      if (balance < need)
        problems.push({
          code: 'low-balance',
          key: 'low-balance',
          message: `${c.sender} holds ${formatEther(balance)}, less than the ${formatEther(need)} that ${c.pauses} pauses cost at ${fee} wei per gas`,
          measure: Number(formatEther(need - balance)),
        })
    }
    const state = sim?.ok ? `succeeds (${sim.gas} gas)` : sim?.unavailable ? 'not simulated' : 'reverts'
    return {
      ok: problems.length === 0,
      problems,
      summary: `${pause.name}: ${pause.signature} from ${c.sender} ${state}; balance ${balance === undefined ? '?' : formatEther(balance)}`,
    }
  },
})
