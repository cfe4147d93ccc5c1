import {
  type Address,
  encodeFunctionData,
  type Hex,
  keccak256,
  parseAbi,
  parseEther,
  parseEventLogs,
  parseGwei,
  recoverAddress,
  type TransactionReceipt,
  toHex,
  zeroAddress,
} from 'viem'
import { privateKeyToAddress } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  bravoAbi,
  deployGovernance,
  executeOz,
  type GovernanceStack,
  governorAbi,
  govTokenAbi,
  type OzProposal,
  ProposalState,
  passOz,
  proposeBravo,
  proposeOz,
  queueOz,
  timelockAbi,
} from '../../src/lab/governance/index.js'
import { type Lab, type LabAccount, startLab } from '../../src/lab/index.js'
import { buildSignatureBytes, EthSafeSignature } from '../../src/lab/protocol-kit.js'
import { safeTxHashes } from '../../src/model/safe-hash.js'
import {
  createVetoSigner,
  loadVetoKey,
  type UnsignedTx,
  type VetoSigner,
  type VetoTxParams,
} from '../../src/respond/veto-signer.js'

// A key anvil does not know: every transaction it sends is signed here and sent raw, as in production.
const PK: Hex = keccak256(toHex('custos veto signer lab key'))
const env = { CUSTOS_VETO_KEY: PK }
const key = loadVetoKey({ env, keyEnv: 'CUSTOS_VETO_KEY' })
const signer: VetoSigner = createVetoSigner(key)
const SAFE: Address = '0x5afe5afe5afe5afe5afe5afe5afe5afe5afe5afe'

describe('the canonical Safe rejection', () => {
  it('has the canonical fields, the hash of safeTxHashes, and a signature that recovers to the key', async () => {
    expect(key.address).toBe(privateKeyToAddress(PK))
    for (const version of ['1.4.1', '1.3.0+L2', '1.1.1', '1.0.0', '0.1.0', 'v1.5.0']) {
      const signed = await signer.signSafeRejection({ chainId: 100, safe: SAFE, version, nonce: 42n })
      const safe = signed.tx.safe
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
        nonce: 42n,
      })
      expect(safe.toLowerCase()).toBe(SAFE)
      const plain = version.replace(/^v/, '').replace(/\+L2$/, '')
      expect(signed.safeTxHash).toBe(safeTxHashes(plain, 100, signed.tx).safeTxHash)
      expect(await recoverAddress({ hash: signed.safeTxHash, signature: signed.signature })).toBe(key.address)
      // r ‖ s ‖ v with v 27 or 28: what Safe's checkNSignatures reads as an ECDSA signature of the hash.
      expect(signed.signature).toMatch(/^0x[0-9a-f]{128}(1b|1c)$/)
      expect(Object.isFrozen(signed) && Object.isFrozen(signed.tx)).toBe(true)
    }
    const a = await signer.signSafeRejection({ chainId: 1, safe: SAFE, version: '1.4.1', nonce: 7n })
    const b = await signer.signSafeRejection({ chainId: 10, safe: SAFE, version: '1.4.1', nonce: 7n })
    expect(a.safeTxHash).not.toBe(b.safeTxHash)
  })

  it('encodes execTransaction of that rejection to the Safe itself, with no value', () => {
    const signatures = `0x${'11'.repeat(65)}` as Hex
    const params = {
      nonce: 3,
      gas: 100_000n,
      maxFeePerGas: parseGwei('30'),
      maxPriorityFeePerGas: parseGwei('1'),
    }
    const tx = signer.executeSafeRejection(
      { chainId: 1, safe: SAFE, version: '1.3.0', nonce: 5n, signatures },
      params,
    )
    const expected = encodeFunctionData({
      abi: parseAbi([
        'function execTransaction(address to, uint256 value, bytes data, uint8 operation, uint256 safeTxGas, uint256 baseGas, uint256 gasPrice, address gasToken, address refundReceiver, bytes signatures)',
      ]),
      args: [tx.to, 0n, '0x', 0, 0n, 0n, 0n, zeroAddress, zeroAddress, signatures],
    })
    expect(tx).toMatchObject({ chainId: 1, from: key.address, value: 0n, data: expected, ...params })
    expect(tx.to.toLowerCase()).toBe(SAFE)
    expect(tx.action).toMatchObject({ kind: 'safe-rejection', nonce: 5n })
    expect(Object.isFrozen(tx) && Object.isFrozen(tx.action)).toBe(true)
  })
})

describe('vetoes on the lab', () => {
  let lab: Lab
  let gov: GovernanceStack
  let A: LabAccount
  let B: LabAccount
  let attacker: Address

  beforeAll(async () => {
    lab = await startLab()
    ;[, A, B, , , , , , , { address: attacker }] = lab.accounts as [
      LabAccount,
      LabAccount,
      LabAccount,
      LabAccount,
      LabAccount,
      LabAccount,
      LabAccount,
      LabAccount,
      LabAccount,
      LabAccount,
    ]
    await lab.test.setBalance({ address: key.address, value: parseEther('10') })
    gov = await deployGovernance(lab, { guardian: key.address })
  })
  afterAll(() => lab?.stop())

  /** Builds with the chain's nonce, estimates gas on a draft, signs with the veto key, sends raw. */
  async function send(build: (p: VetoTxParams) => UnsignedTx): Promise<TransactionReceipt> {
    const nonce = await lab.public.getTransactionCount({ address: key.address, blockTag: 'pending' })
    const fees = { maxFeePerGas: parseGwei('50'), maxPriorityFeePerGas: parseGwei('1') }
    const draft = build({ nonce, gas: 0n, ...fees })
    const gas = await lab.public.estimateGas({ account: key.address, to: draft.to, data: draft.data })
    const raw = await signer.signTransaction(build({ nonce, gas: gas + gas / 4n, ...fees }))
    const hash = await lab.public.sendRawTransaction({ serializedTransaction: raw })
    const receipt = await lab.public.waitForTransactionReceipt({ hash, pollingInterval: 10 })
    expect(receipt.status).toBe('success')
    expect(receipt.from.toLowerCase()).toBe(key.address.toLowerCase())
    return receipt
  }

  const safeEvents = parseAbi(['event ExecutionSuccess(bytes32 indexed txHash, uint256 payment)'])
  const execAbi = parseAbi([
    'function execTransaction(address to, uint256 value, bytes data, uint8 operation, uint256 safeTxGas, uint256 baseGas, uint256 gasPrice, address gasToken, address refundReceiver, bytes signatures) returns (bool)',
  ])
  type KitTx = Awaited<ReturnType<Awaited<ReturnType<Lab['kit']>>['createTransaction']>>
  /** eth_call of execTransaction for a protocol-kit transaction with its signatures: would it execute now? */
  const dryExec = (safe: Address, tx: KitTx) =>
    lab.public.call({
      account: A.address,
      to: safe,
      data: encodeFunctionData({
        abi: execAbi,
        args: [
          tx.data.to as Address,
          BigInt(tx.data.value),
          tx.data.data as Hex,
          tx.data.operation,
          BigInt(tx.data.safeTxGas),
          BigInt(tx.data.baseGas),
          BigInt(tx.data.gasPrice),
          tx.data.gasToken as Address,
          tx.data.refundReceiver as Address,
          buildSignatureBytes([...tx.signatures.values()]) as Hex,
        ],
      }),
    })

  it('a rejection co-signed by another owner executes at the malicious nonce, which then cannot execute', async () => {
    const safe = await lab.createSafe({
      owners: [key.address, A.address, B.address],
      threshold: 2,
      fund: parseEther('5'),
    })
    const [kitA, kitB] = await Promise.all([lab.kit(safe, A), lab.kit(safe, B)])
    // The attack: A and B sign a drain at nonce 0; it is ready to execute.
    let malicious = await kitA.createTransaction({
      transactions: [{ to: attacker, value: parseEther('5').toString(), data: '0x' }],
    })
    malicious = await kitB.signTransaction(await kitA.signTransaction(malicious))
    expect(malicious.data.nonce).toBe(0)
    await expect(dryExec(safe, malicious)).resolves.toBeDefined()

    const signed = await signer.signSafeRejection({ chainId: lab.chainId, safe, version: '1.4.1', nonce: 0n })
    // protocol-kit builds the same rejection and the same hash; A co-signs it there, as in chat.
    const rejection = await kitA.createRejectionTransaction(0)
    expect(await kitA.getTransactionHash(rejection)).toBe(signed.safeTxHash)
    const cosigned = await kitA.signTransaction(rejection)
    cosigned.addSignature(new EthSafeSignature(key.address, signed.signature))
    const signatures = buildSignatureBytes([...cosigned.signatures.values()]) as Hex

    const before = await lab.public.getBalance({ address: attacker })
    const receipt = await send((p) =>
      signer.executeSafeRejection({ chainId: lab.chainId, safe, version: '1.4.1', nonce: 0n, signatures }, p),
    )
    const [executed] = parseEventLogs({ abi: safeEvents, eventName: 'ExecutionSuccess', logs: receipt.logs })
    expect(executed?.args.txHash).toBe(signed.safeTxHash)
    expect(await kitA.getNonce()).toBe(1)

    // The same signatures now check against the hash at nonce 1: GS026, not an owner's signature.
    await expect(dryExec(safe, malicious)).rejects.toThrow(/GS026/)
    await expect(kitB.executeTransaction(malicious)).rejects.toThrow()
    expect(await lab.public.getBalance({ address: safe })).toBe(parseEther('5'))
    expect(await lab.public.getBalance({ address: attacker })).toBe(before)
  })

  it('with threshold 1 the guardian alone executes the rejection', async () => {
    const safe = await lab.createSafe({
      owners: [A.address, key.address],
      threshold: 1,
      fund: parseEther('1'),
    })
    const kitA = await lab.kit(safe, A)
    const malicious = await kitA.signTransaction(
      await kitA.createTransaction({
        transactions: [{ to: attacker, value: parseEther('1').toString(), data: '0x' }],
      }),
    )
    const { signature } = await signer.signSafeRejection({
      chainId: lab.chainId,
      safe,
      version: '1.4.1',
      nonce: 0n,
    })
    await send((p) =>
      signer.executeSafeRejection(
        { chainId: lab.chainId, safe, version: '1.4.1', nonce: 0n, signatures: signature },
        p,
      ),
    )
    expect(await kitA.getNonce()).toBe(1)
    await expect(dryExec(safe, malicious)).rejects.toThrow(/GS026/)
    await expect(kitA.executeTransaction(malicious)).rejects.toThrow()
    expect(await lab.public.getBalance({ address: safe })).toBe(parseEther('1'))
  })

  const recipient = () => attacker
  const ozProposal = (description: string): OzProposal => ({
    targets: [gov.token, recipient()],
    values: [0n, parseEther('1')],
    calldatas: [
      encodeFunctionData({
        abi: govTokenAbi,
        functionName: 'transfer',
        args: [recipient(), parseEther('1000')],
      }),
      '0x',
    ],
    description,
  })
  const ozState = (id: bigint) =>
    lab.public.readContract({ address: gov.governor, abi: governorAbi, functionName: 'state', args: [id] })

  it('cancels an OZ proposal as the proposal guardian', async () => {
    const p = ozProposal('Veto me through the guardian')
    const { proposalId, descriptionHash } = await proposeOz(lab, gov, p)
    const { targets, values, calldatas } = p
    let built: UnsignedTx | undefined
    await send((params) => {
      built = signer.cancelGovernorProposal(
        { chainId: lab.chainId, governor: gov.governor, targets, values, calldatas, descriptionHash },
        params,
      )
      return built
    })
    expect(built?.action).toEqual({
      kind: 'governor-cancel',
      governor: gov.governor,
      proposalId,
      descriptionHash,
    })
    expect(await ozState(proposalId)).toBe(ProposalState.Canceled)
  })

  it('cancels a queued OZ proposal through the timelock, as a canceller', async () => {
    const p = ozProposal('Veto me in the timelock')
    const { proposalId } = await proposeOz(lab, gov, p)
    await passOz(lab, gov, proposalId)
    const { operationId } = await queueOz(lab, gov, p)
    await send((params) =>
      signer.cancelTimelockOperation({ chainId: lab.chainId, timelock: gov.timelock, operationId }, params),
    )
    const pending = await lab.public.readContract({
      address: gov.timelock,
      abi: timelockAbi,
      functionName: 'isOperationPending',
      args: [operationId],
    })
    expect(pending).toBe(false)
    expect(await ozState(proposalId)).toBe(ProposalState.Canceled)
    await expect(executeOz(lab, gov, p)).rejects.toThrow()
  })

  it('cancels a Bravo proposal as its guardian', async () => {
    const { proposalId } = await proposeBravo(lab, gov, {
      targets: [recipient()],
      values: [parseEther('1')],
      signatures: [''],
      calldatas: ['0x'],
      description: 'Veto me on Bravo',
    })
    await send((params) =>
      signer.cancelBravoProposal({ chainId: lab.chainId, governor: gov.bravo, proposalId }, params),
    )
    const state = await lab.public.readContract({
      address: gov.bravo,
      abi: bravoAbi,
      functionName: 'state',
      args: [proposalId],
    })
    expect(state).toBe(ProposalState.Canceled)
  })
})
