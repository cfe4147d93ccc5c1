import type { Hex } from 'viem'
import { describe, expect, it } from 'vitest'
import { scanOpcodes } from '../../src/score/opcodes.js'
import { BENIGN_PROPOSAL_RUNTIME, CLONE_RUNTIME } from '../helpers/governance.js'

const cases: Array<{ name: string; code: Hex; selfdestruct: number[]; delegatecall: number[] }> = [
  { name: 'no code', code: '0x', selfdestruct: [], delegatecall: [] },
  {
    name: 'CALLER SELFDESTRUCT after the free-memory prologue',
    code: '0x608060405233ff',
    selfdestruct: [6],
    delegatecall: [],
  },
  {
    name: 'a PUSH32 whose data is all 0xff (then STOP): data, not opcodes',
    code: `0x7f${'ff'.repeat(32)}00`,
    selfdestruct: [],
    delegatecall: [],
  },
  {
    name: 'a PUSH1 0xf4 and a PUSH2 0xffff before a real SELFDESTRUCT',
    code: '0x60f461ffff50505033ff',
    selfdestruct: [9],
    delegatecall: [],
  },
  { name: 'a truncated PUSH32 at the end', code: '0x7fffff', selfdestruct: [], delegatecall: [] },
  { name: 'dead bytes after STOP', code: '0x00ff', selfdestruct: [], delegatecall: [] },
  {
    name: 'dead bytes after REVERT, revived by a JUMPDEST',
    code: '0x5f5ffd5b33ff',
    selfdestruct: [5],
    delegatecall: [],
  },
  {
    name: 'a JUMPDEST byte inside PUSH data does not revive',
    code: '0x00605bff',
    selfdestruct: [],
    delegatecall: [],
  },
  {
    name: "the lab's BenignProposal (metadata hash with 0xff is data)",
    code: BENIGN_PROPOSAL_RUNTIME,
    selfdestruct: [0x221],
    delegatecall: [],
  },
  {
    name: 'an EIP-1167 clone to an address full of 0xff',
    code: CLONE_RUNTIME,
    selfdestruct: [],
    delegatecall: [31],
  },
  { name: 'odd-length hex does not throw', code: '0x33ff0', selfdestruct: [1], delegatecall: [] },
]

describe('scanOpcodes', () => {
  it.each(cases)('$name', (c) => {
    expect(scanOpcodes(c.code)).toEqual({ selfdestruct: c.selfdestruct, delegatecall: c.delegatecall })
  })

  it('reads a JUMPDEST in the metadata trailer as code only when the code pushes its offset', () => {
    // INVALID, then a 4-byte "CBOR map" trailer holding 5b ff, then its length (0x0004).
    const trailer = 'a1015bff0004'
    expect(scanOpcodes(`0x33fe${trailer}`).selfdestruct).toEqual([])
    // PUSH1 0x06 JUMP: the JUMPDEST at byte 6 sits in the trailer, and a crafted jump into it counts.
    expect(scanOpcodes(`0x600656fe${trailer}`).selfdestruct).toEqual([7])
  })
})
