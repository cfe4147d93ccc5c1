import { inspect } from 'node:util'
import fc from 'fast-check'
import {
  type Address,
  bytesToHex,
  decodeFunctionData,
  encodeFunctionData,
  getAddress,
  type Hash,
  type Hex,
  keccak256,
  parseAbi,
  parseTransaction,
  recoverAddress,
  recoverTransactionAddress,
  toHex,
  zeroAddress,
} from 'viem'
import { describe, expect, it } from 'vitest'
import { safeTxHashes } from '../../src/model/safe-hash.js'
import { KNOWN_SAFE_VERSIONS } from '../../src/model/safe-version.js'
import { CUSTOS_GUARD_ADDRESS, custosGuardAbi } from '../../src/respond/guard/contract.js'
import {
  createVetoSigner,
  loadVetoKey,
  type UnsignedTx,
  VETO_LIMITS,
  VetoKeyError,
  VetoRefused,
} from '../../src/respond/veto-signer.js'

const PK: Hex = keccak256(toHex('custos veto signer property key'))
const key = loadVetoKey({ env: { K: PK }, keyEnv: 'K' })
// The pauses the loaded configuration lists: the only pauses the signer may build.
const POOL: Address = getAddress('0x9001900190019001900190019001900190019001')
const COMET: Address = getAddress('0xc3d688b66703497daa19211eedff47f25384cdc3')
const LISTED = [
  { id: '1:0xpool:pool', chainId: 1, target: POOL, function: 'pause()', args: [] },
  {
    id: '10:0xcomet:all',
    chainId: 10,
    target: COMET,
    function: 'pause(bool,bool,bool,bool,bool)',
    args: [true, true, true, true, true],
  },
]
const LISTED_DATA: Record<string, Hex> = {
  '1:0xpool:pool': '0x8456cb59',
  '10:0xcomet:all': encodeFunctionData({
    abi: parseAbi(['function pause(bool,bool,bool,bool,bool)']),
    functionName: 'pause',
    args: [true, true, true, true, true],
  }),
}
const signer = createVetoSigner(key, { pauses: LISTED })

// --- what an answer is -----------------------------------------------------------------------------

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown }

/** Runs an entry point, sync or async, and says whether it returned or threw (or rejected). */
async function attempt(run: () => unknown): Promise<Outcome> {
  try {
    const value = run()
    return { ok: true, value: value instanceof Promise ? await value : value }
  } catch (error) {
    return { ok: false, error }
  }
}

/**
 * A deliberate refusal: VetoRefused without a cause. A cause would mean a reader broke on the input and
 * the catch-all turned it into a refusal: safe, but a path the checks did not foresee.
 */
function expectRefused(outcome: Outcome): void {
  if (outcome.ok) throw new Error(`accepted: ${String(outcome.value)}`)
  expect(outcome.error).toBeInstanceOf(VetoRefused)
  expect((outcome.error as VetoRefused).cause).toBeUndefined()
}

// --- inputs ----------------------------------------------------------------------------------------

const PARAMS = { nonce: 0, gas: 100_000n, maxFeePerGas: 10n ** 10n, maxPriorityFeePerGas: 10n ** 9n }
const SAFE: Address = getAddress('0x5afe5afe5afe5afe5afe5afe5afe5afe5afe5afe')
const HASH: Hash = keccak256(toHex('a proposal'))

const valid = {
  signSafeRejection: { chainId: 1, safe: SAFE, version: '1.4.1', nonce: 3n },
  executeSafeRejection: {
    chainId: 1,
    safe: SAFE,
    version: '1.4.1',
    nonce: 3n,
    signatures: `0x${'ab'.repeat(65)}` as Hex,
  },
  cancelGovernorProposal: {
    chainId: 1,
    governor: SAFE,
    targets: [SAFE],
    values: [0n],
    calldatas: ['0x' as Hex],
    descriptionHash: HASH,
  },
  cancelBravoProposal: { chainId: 1, governor: SAFE, proposalId: 7n },
  cancelTimelockOperation: { chainId: 1, timelock: SAFE, operationId: HASH },
  pauseProtocol: { id: '10:0xcomet:all' },
  approveOnGuard: { chainId: 1, guard: CUSTOS_GUARD_ADDRESS, safe: SAFE, safeTxHash: HASH },
  cancelOnGuard: { chainId: 1, guard: CUSTOS_GUARD_ADDRESS, safe: SAFE, safeTxHash: HASH },
  scheduleOnGuard: {
    chainId: 1,
    guard: CUSTOS_GUARD_ADDRESS,
    safe: SAFE,
    tx: {
      to: SAFE,
      value: 1n,
      data: '0xabcd' as Hex,
      operation: 1 as const,
      safeTxGas: 0n,
      baseGas: 0n,
      gasPrice: 0n,
      gasToken: zeroAddress,
      refundReceiver: zeroAddress,
      nonce: 4n,
    },
    signatures: `0x${'cd'.repeat(130)}` as Hex,
  },
}
type Builder = keyof typeof valid

// Every way in, each fed whatever the property gives it (and valid transaction parameters where a
// second argument is taken, so that only the first is under test).
const entryPoints: Record<string, (input: unknown, params: unknown) => unknown> = {
  signSafeRejection: (x) => signer.signSafeRejection(x as never),
  executeSafeRejection: (x, p) => signer.executeSafeRejection(x as never, p as never),
  cancelGovernorProposal: (x, p) => signer.cancelGovernorProposal(x as never, p as never),
  cancelBravoProposal: (x, p) => signer.cancelBravoProposal(x as never, p as never),
  cancelTimelockOperation: (x, p) => signer.cancelTimelockOperation(x as never, p as never),
  pauseProtocol: (x, p) => signer.pauseProtocol(x as never, p as never),
  approveOnGuard: (x, p) => signer.approveOnGuard(x as never, p as never),
  cancelOnGuard: (x, p) => signer.cancelOnGuard(x as never, p as never),
  scheduleOnGuard: (x, p) => signer.scheduleOnGuard(x as never, p as never),
  signTransaction: (x) => signer.signTransaction(x as never),
  createVetoSigner: (x) => createVetoSigner(x as never),
}
const builders = Object.keys(valid) as Builder[]
const txBuilders = builders.filter((b) => b !== 'signSafeRejection') as Exclude<
  Builder,
  'signSafeRejection'
>[]

const anything = fc.anything({
  maxDepth: 3,
  withBigInt: true,
  withBoxedValues: true,
  withDate: true,
  withMap: true,
  withNullPrototype: true,
  withObjectString: true,
  withSet: true,
  withSparseArray: true,
  withTypedArray: true,
  withUnicodeString: true,
})
const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n }).map((b) => bytesToHex(b))
const anyAddress = bytes(20).map((a) => getAddress(a))
// As callers write them: checksummed or lower case.
const address = fc
  .tuple(anyAddress, fc.boolean())
  .map(([a, lower]) => (lower ? (a.toLowerCase() as Address) : a))
const vetoTarget = address.filter((a) => a.toLowerCase() !== zeroAddress)
const hash = bytes(32) as fc.Arbitrary<Hash>
const hex = fc.uint8Array({ maxLength: 100 }).map((b) => bytesToHex(b))
const chainId = fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER })
const version = fc.constantFrom(...KNOWN_SAFE_VERSIONS, '1.3.0+L2', 'v1.4.1', '1.4.1-L2')
const uint256 = fc.bigInt({ min: 0n, max: 2n ** 256n - 1n })
const params = fc
  .record({
    nonce: fc.oneof(fc.nat({ max: Number.MAX_SAFE_INTEGER }), fc.bigInt({ min: 0n, max: 2n ** 53n - 1n })),
    gas: fc.oneof(fc.nat({ max: 30_000_000 }), fc.bigInt({ min: 0n, max: VETO_LIMITS.maxGas })),
    maxFeePerGas: fc.bigInt({ min: 0n, max: VETO_LIMITS.maxFeePerGas }),
  })
  .chain((p) =>
    fc
      .bigInt({ min: 0n, max: p.maxFeePerGas })
      .map((maxPriorityFeePerGas) => ({ ...p, maxPriorityFeePerGas })),
  )

const wellFormed = {
  signSafeRejection: fc.record({
    chainId,
    safe: vetoTarget,
    version,
    nonce: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  }),
  executeSafeRejection: fc.record({
    chainId,
    safe: vetoTarget,
    version,
    nonce: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    signatures: fc.integer({ min: 65, max: 400 }).chain((n) => bytes(n)),
  }),
  cancelGovernorProposal: fc.integer({ min: 1, max: 6 }).chain((n) =>
    fc.record({
      chainId,
      governor: vetoTarget,
      targets: fc.array(address, { minLength: n, maxLength: n }),
      values: fc.array(uint256, { minLength: n, maxLength: n }),
      calldatas: fc.array(hex, { minLength: n, maxLength: n }),
      descriptionHash: hash,
    }),
  ),
  cancelBravoProposal: fc.record({ chainId, governor: vetoTarget, proposalId: uint256 }),
  cancelTimelockOperation: fc.record({ chainId, timelock: vetoTarget, operationId: hash }),
  pauseProtocol: fc.constantFrom(...LISTED.map((l) => ({ id: l.id }))),
  approveOnGuard: fc.record({
    chainId,
    guard: fc.constant(CUSTOS_GUARD_ADDRESS),
    safe: vetoTarget,
    safeTxHash: hash,
  }),
  cancelOnGuard: fc.record({
    chainId,
    guard: fc.constant(CUSTOS_GUARD_ADDRESS),
    safe: vetoTarget,
    safeTxHash: hash,
  }),
  scheduleOnGuard: fc.record({
    chainId,
    guard: fc.constant(CUSTOS_GUARD_ADDRESS),
    safe: vetoTarget,
    tx: fc.record({
      to: anyAddress,
      value: uint256,
      data: hex,
      operation: fc.constantFrom(0, 1),
      safeTxGas: uint256,
      baseGas: uint256,
      gasPrice: uint256,
      gasToken: anyAddress,
      refundReceiver: anyAddress,
      nonce: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    }),
    signatures: fc.integer({ min: 65, max: 400 }).chain((n) => bytes(n)),
  }),
}

// Things a compromised caller would like signed: hashes, messages, typed data, whole transactions.
const typedData = fc.record({
  domain: fc.record({ name: fc.string(), version: fc.string(), chainId, verifyingContract: address }),
  types: fc.constant({
    Permit: [
      { name: 'spender', type: 'address' },
      { name: 'value', type: 'uint256' },
    ],
  }),
  primaryType: fc.constant('Permit'),
  message: fc.record({ spender: address, value: uint256 }),
})
const transactionLike = fc.record(
  {
    to: address,
    from: address,
    data: hex,
    value: uint256,
    gas: fc.bigInt({ min: 0n, max: 10n ** 7n }),
    nonce: fc.nat(),
    chainId,
    type: fc.constantFrom('eip1559', 'legacy', '0x2'),
    maxFeePerGas: fc.bigInt({ min: 0n, max: 10n ** 12n }),
    maxPriorityFeePerGas: fc.bigInt({ min: 0n, max: 10n ** 9n }),
    hash,
    action: fc.record({ kind: fc.constantFrom('safe-rejection', 'governor-cancel', 'bravo-cancel') }),
  },
  { requiredKeys: [] },
)
const hostile = fc.oneof(
  hash,
  hex,
  fc.string(),
  fc.record({ hash }),
  fc.record({ message: fc.string() }),
  fc.record({ message: fc.record({ raw: hex }) }),
  typedData,
  transactionLike,
  fc.record({ ...Object.fromEntries(Object.entries(valid.signSafeRejection).map(([k]) => [k, anything])) }),
)

// --- checks of what is signed ----------------------------------------------------------------------

const vetoAbi = parseAbi([
  'function cancel(address[] targets, uint256[] values, bytes[] calldatas, bytes32 descriptionHash)',
  'function cancel(uint256 proposalId)',
  'function cancel(bytes32 id)',
  'function execTransaction(address to, uint256 value, bytes data, uint8 operation, uint256 safeTxGas, uint256 baseGas, uint256 gasPrice, address gasToken, address refundReceiver, bytes signatures)',
])
const lower = (v: unknown): unknown =>
  typeof v === 'string' ? v.toLowerCase() : Array.isArray(v) ? v.map(lower) : v

/** What each builder must put in the transaction, from the input it was given. */
function expectedCall(builder: Exclude<Builder, 'signSafeRejection'>, input: Record<string, unknown>) {
  switch (builder) {
    case 'cancelGovernorProposal':
      return {
        to: input.governor,
        args: [input.targets, input.values, input.calldatas, input.descriptionHash],
      }
    case 'cancelBravoProposal':
      return { to: input.governor, args: [input.proposalId] }
    case 'cancelTimelockOperation':
      return { to: input.timelock, args: [input.operationId] }
    case 'executeSafeRejection':
      return {
        to: input.safe,
        args: [input.safe, 0n, '0x', 0, 0n, 0n, 0n, zeroAddress, zeroAddress, input.signatures],
      }
    case 'pauseProtocol': {
      const listed = LISTED.find((l) => l.id === input.id)
      if (!listed) throw new Error(`signed a pause that is not listed: ${String(input.id)}`)
      return { to: listed.target, chainId: listed.chainId, data: LISTED_DATA[listed.id] }
    }
    case 'approveOnGuard':
    case 'cancelOnGuard':
      return {
        to: CUSTOS_GUARD_ADDRESS,
        fn: builder === 'approveOnGuard' ? 'approve' : 'cancel',
        args: [input.safe, input.safeTxHash],
      }
    case 'scheduleOnGuard': {
      const tx = input.tx as Record<string, unknown>
      return {
        to: CUSTOS_GUARD_ADDRESS,
        fn: 'schedule',
        args: [
          input.safe,
          { ...tx, to: getAddress(tx.to as string), data: lower(tx.data) },
          input.signatures,
        ],
      }
    }
  }
}

/** Signs a built transaction and checks the raw transaction says exactly what the input asked for. */
async function expectCanonical(
  builder: Exclude<Builder, 'signSafeRejection'>,
  input: Record<string, unknown>,
  p: Record<string, unknown>,
  tx: UnsignedTx,
) {
  const want = expectedCall(builder, input)
  const raw = await signer.signTransaction(tx)
  const parsed = parseTransaction(raw)
  expect(parsed.type).toBe('eip1559')
  expect(parsed.chainId).toBe('chainId' in want ? want.chainId : input.chainId)
  expect(lower(parsed.to)).toBe(lower(want.to))
  expect(parsed.value ?? 0n).toBe(0n)
  expect(BigInt(parsed.nonce ?? 0)).toBe(BigInt(p.nonce as number | bigint))
  expect(parsed.gas ?? 0n).toBe(BigInt(p.gas as number | bigint))
  expect(parsed.maxFeePerGas ?? 0n).toBe(p.maxFeePerGas)
  expect(parsed.maxPriorityFeePerGas ?? 0n).toBe(p.maxPriorityFeePerGas)
  expect(parsed.accessList ?? []).toEqual([])
  if ('data' in want) expect(parsed.data).toBe(want.data)
  else if ('fn' in want) {
    // A guard call: exactly the one function, to the one allowed guard.
    const decoded = decodeFunctionData({ abi: custosGuardAbi, data: parsed.data ?? '0x' })
    expect(decoded.functionName).toBe(want.fn)
    const args = [...(decoded.args ?? [])].map((a) =>
      typeof a === 'object' && a !== null ? { ...a, to: getAddress((a as { to: string }).to) } : a,
    )
    expect(lower(args)).toEqual(lower(want.args))
  } else {
    const decoded = decodeFunctionData({ abi: vetoAbi, data: parsed.data ?? '0x' })
    expect(lower(decoded.args)).toEqual(lower(want.args))
  }
  expect(await recoverTransactionAddress({ serializedTransaction: raw as never })).toBe(key.address)
}

async function expectCanonicalRejection(input: Record<string, unknown>, value: unknown) {
  const signed = value as Awaited<ReturnType<typeof signer.signSafeRejection>>
  const safe = getAddress(input.safe as string)
  expect(signed.tx).toEqual({
    safe,
    to: safe,
    value: 0n,
    data: '0x',
    operation: 0,
    safeTxGas: 0n,
    baseGas: 0n,
    gasPrice: 0n,
    gasToken: zeroAddress,
    refundReceiver: zeroAddress,
    nonce: input.nonce,
  })
  const plain = (input.version as string).replace(/^v/, '').replace(/[+-]L2$/, '')
  expect(signed.safeTxHash).toBe(safeTxHashes(plain, input.chainId as number, signed.tx).safeTxHash)
  expect(await recoverAddress({ hash: signed.safeTxHash, signature: signed.signature })).toBe(key.address)
}

const RUNS = { numRuns: 150 }

describe('the veto signer refuses everything but canonical vetoes', () => {
  it('exposes exactly the veto actions and the address: no way to sign a hash, message or typed data', () => {
    expect(Reflect.ownKeys(signer).sort()).toEqual(
      [
        'address',
        'approveOnGuard',
        'cancelOnGuard',
        'scheduleOnGuard',
        'cancelBravoProposal',
        'cancelGovernorProposal',
        'cancelTimelockOperation',
        'executeSafeRejection',
        'pauseProtocol',
        'signSafeRejection',
        'signTransaction',
      ].sort(),
    )
    expect(Object.getPrototypeOf(signer)).toBe(Object.prototype)
    expect(Object.isFrozen(signer)).toBe(true)
    expect(signer.address).toBe(key.address)
    expect(Reflect.ownKeys(key)).toEqual(['address'])
    const shown = `${inspect(signer, { showHidden: true, depth: Infinity })}${JSON.stringify(signer)}`
    expect(shown.toLowerCase()).not.toContain(PK.slice(2))
  })

  it('refuses anything at all, at every entry point', async () => {
    await fc.assert(
      fc.asyncProperty(anything, async (x) => {
        for (const run of Object.values(entryPoints)) expectRefused(await attempt(() => run(x, PARAMS)))
      }),
      RUNS,
    )
  })

  it('refuses hashes, messages, typed data and transaction-shaped objects, at every entry point', async () => {
    await fc.assert(
      fc.asyncProperty(hostile, async (x) => {
        for (const run of Object.values(entryPoints)) expectRefused(await attempt(() => run(x, PARAMS)))
      }),
      RUNS,
    )
  })

  it('refuses a well-formed input with any extra field, symbol or inherited field', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...builders),
        fc.string({ minLength: 1 }),
        anything,
        fc.constantFrom('string', 'symbol', 'inherited', 'accessor', 'class'),
        async (builder, name, value, how) => {
          const base: Record<string | symbol, unknown> = { ...valid[builder] }
          let input: object
          if (how === 'string') {
            fc.pre(!Object.hasOwn(base, name))
            input = { ...base, [name]: value }
          } else if (how === 'symbol') input = { ...base, [Symbol(name)]: value }
          else if (how === 'inherited') input = Object.create(base)
          else if (how === 'class') input = Object.assign(new (class Input {})(), base)
          else {
            const field = Object.keys(base)[0] as string
            input = { ...base }
            Object.defineProperty(input, field, { get: () => base[field], enumerable: true })
          }
          expectRefused(await attempt(() => entryPoints[builder]?.(input, PARAMS)))
        },
      ),
      RUNS,
    )
  })

  it('with one field replaced by anything, either refuses or signs exactly what was asked', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...builders), fc.nat(), anything, async (builder, which, value) => {
        const base: Record<string, unknown> = { ...valid[builder] }
        const field = Object.keys(base)[which % Object.keys(base).length] as string
        const input = { ...base, [field]: value }
        const outcome = await attempt(() => entryPoints[builder]?.(input, PARAMS))
        if (!outcome.ok) return expectRefused(outcome)
        if (builder === 'signSafeRejection') return expectCanonicalRejection(input, outcome.value)
        await expectCanonical(builder, input, PARAMS, outcome.value as UnsignedTx)
      }),
      RUNS,
    )
  })

  it('refuses each malformed field, named in the message', async () => {
    const sparse: Address[] = [SAFE, SAFE]
    delete sparse[0]
    const extra = Object.assign([SAFE], { extra: 1 })
    class Addresses extends Array<Address> {}
    const hashOf = (n: number) => `0x${'ab'.repeat(n)}`
    const bad: Array<[Builder, string, unknown]> = [
      ...[0, -1, 1.5, 2 ** 53, '1', 1n, Number.NaN, Number.POSITIVE_INFINITY, null].map(
        (v) => ['cancelBravoProposal', 'chainId', v] as [Builder, string, unknown],
      ),
      ['signSafeRejection', 'safe', zeroAddress],
      ['cancelBravoProposal', 'governor', zeroAddress],
      ['cancelGovernorProposal', 'governor', zeroAddress],
      ['cancelTimelockOperation', 'timelock', zeroAddress],
      ['signSafeRejection', 'safe', SAFE.replace('f', 'F')],
      ['signSafeRejection', 'safe', SAFE.slice(0, -2)],
      ['signSafeRejection', 'safe', SAFE.slice(2)],
      ['signSafeRejection', 'safe', `0X${SAFE.slice(2)}`],
      ['signSafeRejection', 'safe', ` ${SAFE}`],
      ...['1.2.1', '2.0.0', '1.3', '', 'latest', '1.4.1+L3', 'x'.repeat(100), 141].map(
        (v) => ['signSafeRejection', 'version', v] as [Builder, string, unknown],
      ),
      ['signSafeRejection', 'nonce', -1n],
      ['signSafeRejection', 'nonce', 2n ** 64n],
      ['signSafeRejection', 'nonce', 1],
      ['cancelTimelockOperation', 'operationId', hashOf(31)],
      ['cancelTimelockOperation', 'operationId', hashOf(33)],
      ['cancelTimelockOperation', 'operationId', hashOf(32).slice(2)],
      ['cancelTimelockOperation', 'operationId', `0x${'zz'.repeat(32)}`],
      ['cancelGovernorProposal', 'descriptionHash', hashOf(20)],
      ['cancelGovernorProposal', 'targets', []],
      ['cancelGovernorProposal', 'targets', [SAFE, SAFE]],
      ['cancelGovernorProposal', 'targets', sparse],
      ['cancelGovernorProposal', 'targets', extra],
      ['cancelGovernorProposal', 'targets', Addresses.from([SAFE])],
      ['cancelGovernorProposal', 'targets', new Set([SAFE])],
      ['cancelGovernorProposal', 'values', [-1n]],
      ['cancelGovernorProposal', 'values', [2n ** 256n]],
      ['cancelGovernorProposal', 'values', [0]],
      ['cancelGovernorProposal', 'values', new BigUint64Array([0n])],
      ['cancelGovernorProposal', 'calldatas', ['0x123']],
      ['cancelGovernorProposal', 'calldatas', ['1234']],
      ['cancelGovernorProposal', 'calldatas', [`0x${'00'.repeat(VETO_LIMITS.maxCalldataBytes + 1)}`]],
      ['cancelBravoProposal', 'proposalId', -1n],
      ['cancelBravoProposal', 'proposalId', 2n ** 256n],
      ['cancelBravoProposal', 'proposalId', 1],
      ['executeSafeRejection', 'signatures', '0x'],
      ['executeSafeRejection', 'signatures', hashOf(64)],
      ['executeSafeRejection', 'signatures', `${hashOf(65)}0`],
      ['executeSafeRejection', 'signatures', hashOf(VETO_LIMITS.maxSignaturesBytes + 1)],
      ...[
        '',
        'unknown',
        ' 1:0xpool:pool',
        '1:0xpool:pool ',
        '1:0XPOOL:POOL',
        '1:0xpool',
        1,
        null,
        ['1:0xpool:pool'],
      ].map((v) => ['pauseProtocol', 'id', v] as [Builder, string, unknown]),
      // The guard calls go to the allowed guard address only, and schedule passes whole signatures.
      ['approveOnGuard', 'guard', SAFE],
      ['cancelOnGuard', 'guard', SAFE],
      ['scheduleOnGuard', 'guard', SAFE],
      ['approveOnGuard', 'safeTxHash', hashOf(31)],
      ['cancelOnGuard', 'safe', zeroAddress],
      ['scheduleOnGuard', 'signatures', hashOf(64)],
      ['scheduleOnGuard', 'tx', { ...valid.scheduleOnGuard.tx, operation: 2 }],
      ['scheduleOnGuard', 'tx', { ...valid.scheduleOnGuard.tx, nonce: 2n ** 64n }],
      ['scheduleOnGuard', 'tx', { ...valid.scheduleOnGuard.tx, extra: 1 }],
    ]
    for (const [builder, field, value] of bad) {
      const outcome = await attempt(() =>
        entryPoints[builder]?.({ ...valid[builder], [field]: value }, PARAMS),
      )
      expectRefused(outcome)
      if (!outcome.ok) expect((outcome.error as Error).message).toContain(field)
    }
    // Too many calls, and calls whose calldata adds up past the bound.
    const many = VETO_LIMITS.maxActions + 1
    const big = `0x${'00'.repeat(VETO_LIMITS.maxCalldataBytes / 4)}` as Hex
    for (const [n, calldata] of [
      [many, '0x'],
      [5, big],
    ] as const) {
      const input = {
        ...valid.cancelGovernorProposal,
        targets: Array(n).fill(SAFE),
        values: Array(n).fill(0n),
        calldatas: Array(n).fill(calldata),
      }
      expectRefused(await attempt(() => signer.cancelGovernorProposal(input, PARAMS)))
    }
    // The edges that are accepted: a proposal may call the zero address, with 4 calls filling the budget.
    const edge = {
      ...valid.cancelGovernorProposal,
      targets: Array(4).fill(zeroAddress),
      values: Array(4).fill(2n ** 256n - 1n),
      calldatas: Array(4).fill(big),
    }
    await expectCanonical('cancelGovernorProposal', edge, PARAMS, signer.cancelGovernorProposal(edge, PARAMS))
  })

  it('calls only the guard addresses it was given', async () => {
    const elsewhere = createVetoSigner(key, { guards: [SAFE] })
    expectRefused(await attempt(() => elsewhere.approveOnGuard(valid.approveOnGuard, PARAMS)))
    const tx = elsewhere.cancelOnGuard({ ...valid.cancelOnGuard, guard: SAFE }, PARAMS)
    expect(tx.to).toBe(SAFE)
    const none = createVetoSigner(key, { guards: [] })
    expectRefused(await attempt(() => none.approveOnGuard(valid.approveOnGuard, PARAMS)))
    expectRefused(await attempt(() => none.cancelOnGuard(valid.cancelOnGuard, PARAMS)))
    expectRefused(await attempt(() => none.scheduleOnGuard(valid.scheduleOnGuard, PARAMS)))
    expectRefused(await attempt(() => createVetoSigner(key, { guards: [zeroAddress] })))
  })

  it('refuses transaction parameters that are not bounded integers', async () => {
    const params = fc.record({
      nonce: fc.oneof(anything, fc.constantFrom(-1, 2 ** 53, 1.5, -1n, 2n ** 64n)),
      gas: fc.oneof(anything, fc.constantFrom(-1n, VETO_LIMITS.maxGas + 1n, Number.NaN)),
      maxFeePerGas: fc.oneof(anything, fc.constantFrom(VETO_LIMITS.maxFeePerGas + 1n, '1')),
      maxPriorityFeePerGas: fc.oneof(anything, fc.constant(VETO_LIMITS.maxFeePerGas + 1n)),
    })
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...txBuilders), fc.oneof(params, anything), async (builder, p) => {
        expectRefused(await attempt(() => entryPoints[builder]?.(valid[builder], p)))
      }),
      RUNS,
    )
  })

  it('signs only what it built, unchanged: copies, proxies, look-alikes and edits are refused', async () => {
    const other = createVetoSigner(loadVetoKey({ env: { K: PK }, keyEnv: 'K' }))
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...txBuilders),
        fc.constantFrom('to', 'data', 'value', 'chainId', 'nonce', 'gas', 'maxFeePerGas', 'from', 'action'),
        anything,
        async (builder, field, value) => {
          const real = entryPoints[builder]?.(valid[builder], PARAMS) as UnsignedTx
          const forgeries: unknown[] = [
            { ...real },
            { ...real, [field]: value },
            Object.create(real),
            new Proxy(real, {}),
            structuredClone(real),
            Object.assign(Object.create(null), real),
            other.cancelBravoProposal(valid.cancelBravoProposal, PARAMS),
          ]
          for (const forged of forgeries)
            expectRefused(await attempt(() => signer.signTransaction(forged as never)))
          // The real one cannot be edited, so signing it still signs what was built.
          expect(Reflect.set(real, field, value)).toBe(false)
          expect(Reflect.defineProperty(real, field, { value })).toBe(
            Object.is(real[field as keyof UnsignedTx], value),
          )
          expect(Reflect.set(real.action, 'kind', 'other')).toBe(false)
          await expectCanonical(builder, valid[builder], PARAMS, real)
        },
      ),
      { numRuns: 50 },
    )
  })

  it('signs well-formed vetoes, and what it signs is exactly the canonical transaction', async () => {
    for (const builder of builders) {
      await fc.assert(
        fc.asyncProperty(
          wellFormed[builder] as fc.Arbitrary<Record<string, unknown>>,
          params,
          async (input, p) => {
            const outcome = await attempt(() => entryPoints[builder]?.(input, p))
            if (!outcome.ok) throw outcome.error
            if (builder === 'signSafeRejection') return expectCanonicalRejection(input, outcome.value)
            await expectCanonical(builder, input, p, outcome.value as UnsignedTx)
          },
        ),
        { numRuns: 40 },
      )
    }
  })

  it('refuses forged keys, and loadVetoKey fails only with VetoKeyError', async () => {
    for (const forged of [{ address: key.address }, { ...key }, Object.create(key), new Proxy(key, {})])
      expectRefused(await attempt(() => createVetoSigner(forged as never)))
    fc.assert(
      fc.property(
        fc.oneof(anything, fc.record({ env: fc.dictionary(fc.string(), fc.string()), keyEnv: fc.string() })),
        (opts) => {
          try {
            loadVetoKey(opts as never)
          } catch (error) {
            expect(error).toBeInstanceOf(VetoKeyError)
          }
        },
      ),
      RUNS,
    )
    fc.assert(
      fc.property(fc.oneof(fc.string(), hex, bytes(32), bytes(31)), (value) => {
        try {
          const loaded = loadVetoKey({ env: { K: value }, keyEnv: 'K' })
          expect(value.trim()).toMatch(/^0x[0-9a-fA-F]{64}$/)
          expect(loaded.address).toMatch(/^0x[0-9a-fA-F]{40}$/)
        } catch (error) {
          expect(error).toBeInstanceOf(VetoKeyError)
          if (value.length > 8) expect((error as Error).message).not.toContain(value)
        }
      }),
      RUNS,
    )
  })

  it('builds only the pauses the loaded configuration lists, exactly as listed; any other id is refused', async () => {
    const listed = new Set(LISTED.map((l) => l.id))
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          anything,
          fc
            .constantFrom(...LISTED.map((l) => l.id))
            .chain((id) =>
              fc.constantFrom(id, id.toUpperCase(), `${id}\u0000`, id.slice(1), `${id}:x`, [id], { id }),
            ),
        ),
        params,
        async (id, p) => {
          const outcome = await attempt(() => signer.pauseProtocol({ id } as never, p as never))
          if (typeof id === 'string' && listed.has(id)) {
            if (!outcome.ok) throw outcome.error
            return expectCanonical('pauseProtocol', { id }, p, outcome.value as UnsignedTx)
          }
          expectRefused(outcome)
        },
      ),
      RUNS,
    )
    // A signer whose configuration lists no pauses builds none, not even another signer's.
    const bare = createVetoSigner(loadVetoKey({ env: { K: PK }, keyEnv: 'K' }))
    for (const l of LISTED) expectRefused(await attempt(() => bare.pauseProtocol({ id: l.id }, PARAMS)))
  })

  it('takes the list once: changing it afterwards changes nothing that is signed', async () => {
    const list = [{ id: 'p', chainId: 1, target: POOL, function: 'pause(bool)', args: [true] }]
    const own = createVetoSigner(key, { pauses: list })
    ;(list[0] as { target: Address }).target = COMET
    ;(list[0] as { args: unknown[] }).args[0] = false
    list.push({ id: 'q', chainId: 1, target: COMET, function: 'pause(bool)', args: [true] })
    const tx = own.pauseProtocol({ id: 'p' }, PARAMS)
    const parsed = parseTransaction(await own.signTransaction(tx))
    expect(parsed.to?.toLowerCase()).toBe(POOL.toLowerCase())
    expect(parsed.data).toBe(
      encodeFunctionData({ abi: parseAbi(['function pause(bool)']), functionName: 'pause', args: [true] }),
    )
    expectRefused(await attempt(() => own.pauseProtocol({ id: 'q' }, PARAMS)))
  })

  it('refuses a pause list that is not exactly well-formed', async () => {
    await fc.assert(
      fc.asyncProperty(anything, async (x) => {
        // No options, or options naming nothing ({}), are the defaults: no pauses, the default guard.
        const empty =
          typeof x === 'object' &&
          x !== null &&
          (Object.getPrototypeOf(x) === Object.prototype || Object.getPrototypeOf(x) === null) &&
          Reflect.ownKeys(x).length === 0
        fc.pre(x !== undefined && !empty)
        expectRefused(await attempt(() => createVetoSigner(key, x as never)))
      }),
      RUNS,
    )
    const one = LISTED[0] as (typeof LISTED)[number]
    class Entry {}
    const accessor = { ...one }
    Object.defineProperty(accessor, 'target', { get: () => POOL, enumerable: true })
    const bad: unknown[] = [
      { pauses: [{ ...one, extra: 1 }] },
      { pauses: [{ ...one, target: zeroAddress }] },
      { pauses: [{ ...one, target: POOL.replace('9', 'x') }] },
      { pauses: [{ ...one, chainId: 0 }] },
      { pauses: [{ ...one, id: '' }] },
      { pauses: [{ ...one, id: 'x'.repeat(VETO_LIMITS.maxPauseText + 1) }] },
      { pauses: [{ ...one, function: 'pause(' }] },
      { pauses: [{ ...one, function: 'pause(bool)', args: [] }] },
      { pauses: [{ ...one, function: 'pause(bool)', args: ['yes'] }] },
      { pauses: [{ ...one, function: 'pause(uint8)', args: [256] }] },
      { pauses: [{ ...one, args: 'none' }] },
      { pauses: [one, one] },
      { pauses: [Object.assign(new Entry(), one)] },
      { pauses: [accessor] },
      { pauses: one },
      { pauses: [one], more: [] },
      {
        pauses: Array(VETO_LIMITS.maxPauses + 1)
          .fill(one)
          .map((l, i) => ({ ...l, id: String(i) })),
      },
    ]
    for (const options of bad) expectRefused(await attempt(() => createVetoSigner(key, options as never)))
  })
})
