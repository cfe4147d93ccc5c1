import {
  type Address,
  encodeAbiParameters,
  encodeEventTopics,
  encodeFunctionData,
  type Hash,
  type Hex,
  keccak256,
  type Log,
  parseAbi,
  toHex,
} from 'viem'
import { describe, expect, it } from 'vitest'
import {
  decodeGovernanceLog,
  GOVERNOR_EVENTS,
  groupScheduled,
  proposalCalls,
  TIMELOCK_EVENTS,
} from '../../src/sources/governance.js'

const GOV = '0x408ED6354d4973f66138C91495F2f2FCbd8724C3' as Address
const TL = '0x6d903f6003cca6255D85CcA4D3B5E5146dC33925' as Address
const USDC = '0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48' as Address
const BOB = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8' as Address
const erc20 = parseAbi(['function transfer(address to, uint256 amount)'])
const transferData = encodeFunctionData({ abi: erc20, functionName: 'transfer', args: [BOB, 10n ** 6n] })
const transferArgs = `0x${transferData.slice(10)}` as Hex

let logIndex = 0
const log = (address: Address, topics: Hex[], data: Hex): Log =>
  ({
    address,
    topics,
    data,
    blockNumber: 100n,
    blockHash: `0x${'ab'.repeat(32)}`,
    transactionHash: `0x${'cd'.repeat(32)}`,
    logIndex: logIndex++,
    transactionIndex: 0,
    removed: false,
  }) as Log

const created = (
  signatures: string[],
  calldatas: Hex[],
  targets: Address[] = [USDC],
  values: bigint[] = [0n],
) => {
  const event = GOVERNOR_EVENTS[0]
  const data = encodeAbiParameters(event.inputs, [
    42n,
    BOB,
    targets,
    values,
    signatures,
    calldatas,
    1000n,
    2000n,
    '# Pay Bob\nOne USDC.',
  ])
  return log(GOV, encodeEventTopics({ abi: [event] }) as Hex[], data)
}

describe('governance events', () => {
  const cases: Array<[string, string[], Hex[], Hex, string[]]> = [
    ['OpenZeppelin: empty signatures, whole calldata', [''], [transferData], transferData, []],
    [
      'Bravo: signature set, calldata holds the arguments only',
      ['transfer(address,uint256)'],
      [transferArgs],
      transferData,
      [],
    ],
    ['Bravo: an empty signature keeps the whole calldata', [''], [transferData], transferData, []],
    [
      'Bravo: a signature that is not one is reported, not dropped',
      ['transfer(address'],
      [transferArgs],
      `${keccak256(toHex('transfer(address')).slice(0, 10)}${transferArgs.slice(2)}` as Hex,
      ['call 0: "transfer(address" is not a function signature'],
    ],
  ]
  it.each(cases)('ProposalCreated, %s', (_name, signatures, calldatas, data, problems) => {
    const e = decodeGovernanceLog(created(signatures, calldatas))
    expect(e).toMatchObject({
      kind: 'proposal-created',
      governor: GOV,
      proposalId: 42n,
      proposer: BOB,
      voteStart: 1000n,
      voteEnd: 2000n,
      descriptionHash: keccak256(toHex('# Pay Bob\nOne USDC.')),
      calls: [{ to: USDC, value: 0n, data, operation: 'call' }],
      problems,
    })
  })

  it('reports arrays of different lengths', () => {
    const r = proposalCalls([USDC, BOB], [0n], [], [transferData, '0x'])
    expect(r.problems[0]).toMatch(/differ in length \(targets 2, values 1, signatures 0, calldatas 2\)/)
    expect(r.calls).toHaveLength(2)
  })

  it('decodes queued, executed and canceled', () => {
    const [, queued, executed, canceled] = GOVERNOR_EVENTS
    const q = decodeGovernanceLog(
      log(
        GOV,
        encodeEventTopics({ abi: [queued] }) as Hex[],
        encodeAbiParameters(queued.inputs, [42n, 5555n]),
      ),
    )
    expect(q).toMatchObject({ kind: 'proposal-queued', proposalId: 42n, eta: 5555n })
    expect(
      decodeGovernanceLog(
        log(
          GOV,
          encodeEventTopics({ abi: [executed] }) as Hex[],
          encodeAbiParameters(executed.inputs, [42n]),
        ),
      ),
    ).toMatchObject({ kind: 'proposal-executed', proposalId: 42n })
    expect(
      decodeGovernanceLog(
        log(
          GOV,
          encodeEventTopics({ abi: [canceled] }) as Hex[],
          encodeAbiParameters(canceled.inputs, [42n]),
        ),
      ),
    ).toMatchObject({ kind: 'proposal-canceled', proposalId: 42n })
  })

  it('groups a timelock batch by operation id, in index order, and notices a missing call', () => {
    const scheduled = TIMELOCK_EVENTS[0]
    const id = `0x${'11'.repeat(32)}` as Hash
    const other = `0x${'22'.repeat(32)}` as Hash
    const zero = `0x${'00'.repeat(32)}` as Hash
    const mk = (opId: Hash, index: bigint, target: Address, data: Hex) =>
      log(
        TL,
        encodeEventTopics({ abi: [scheduled], args: { id: opId, index } }) as Hex[],
        encodeAbiParameters(
          scheduled.inputs.filter((i) => !('indexed' in i && i.indexed)),
          [target, 0n, data, zero, 172800n],
        ),
      )
    const events = [mk(id, 1n, BOB, '0x'), mk(id, 0n, USDC, transferData), mk(other, 1n, BOB, '0x')]
      .map(decodeGovernanceLog)
      .filter((e) => e !== undefined)
    const ops = groupScheduled(events)
    expect(ops).toHaveLength(2)
    expect(ops[0]).toMatchObject({ operationId: id, delay: 172800n, problems: [] })
    expect(ops[0]?.calls.map((c) => c.to)).toEqual([USDC, BOB])
    expect(ops[1]?.problems).toEqual(['call 0 of the batch is missing'])
  })

  it('ignores logs that are not governance events', () => {
    expect(decodeGovernanceLog(log(GOV, [`0x${'99'.repeat(32)}`], '0x'))).toBeUndefined()
  })
})
