import { type Address, parseAbi } from 'viem'
import { roleId } from '../../config/protocols.js'
import type { CheckProblem, ReadCall, ReadResult } from '../../model/check.js'
import { callOf, defineCheck, failureOf, readValue, short, viewFunction } from '../define.js'

// Who holds the protocol's powers (`owner()`, a pause guardian, an AccessControl role), compared
// with who should, like the Safe drift watchdog. Where the contract can list a role's members
// (AccessControlEnumerable), anyone else holding it is drift too; otherwise only the expected
// holders are checked, and the result says so.

const ACCESS = parseAbi([
  'function hasRole(bytes32 role, address account) view returns (bool)',
  'function getRoleMemberCount(bytes32 role) view returns (uint256)',
  'function getRoleMember(bytes32 role, uint256 index) view returns (address)',
])
const access = (name: string) => ACCESS.find((f) => f.name === name) as (typeof ACCESS)[number]
/** Members listed at most: a role with more is checked for the expected ones only. */
const MAX_MEMBERS = 50

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase()

export const roles = defineCheck({
  kind: 'roles',
  codes: ['missing-holder', 'unexpected-holder', 'unreadable'],
  reads(c) {
    const reads: ReadCall[] = []
    c.holders.forEach((h, i) => {
      if (h.function) reads.push(callOf(`h${i}`, c.contract, viewFunction(h.function, 'address')))
      else if (h.role) {
        const role = roleId(h.role)
        for (const [j, a] of h.expected.entries())
          reads.push(callOf(`h${i}:has${j}`, c.contract, access('hasRole'), [role, a]))
        reads.push(callOf(`h${i}:count`, c.contract, access('getRoleMemberCount'), [role]))
      }
    })
    return reads
  },
  followUp(c, first) {
    const reads: ReadCall[] = []
    c.holders.forEach((h, i) => {
      const count = readValue<bigint>(first, `h${i}:count`)
      if (!h.role || count === undefined) return
      const n = Number(count < BigInt(MAX_MEMBERS) ? count : BigInt(MAX_MEMBERS))
      for (let j = 0; j < n; j++)
        reads.push(
          callOf(`h${i}:member${j}`, c.contract, access('getRoleMember'), [roleId(h.role), BigInt(j)]),
        )
    })
    return reads
  },
  evaluate(c, facts) {
    const problems: CheckProblem[] = []
    const notes: string[] = []
    const seen: string[] = []
    c.holders.forEach((h, i) => {
      if (h.function) problems.push(...viewHolder(h.function, h.expected, facts.reads, `h${i}`, seen))
      else if (h.role) problems.push(...roleHolders(h.role, h.expected, facts.reads, `h${i}`, seen, notes))
    })
    return {
      ok: problems.length === 0,
      problems,
      summary: seen.join('; ') || 'nothing read',
      ...(notes.length ? { notes } : {}),
    }
  },
})

function viewHolder(
  signature: string,
  expected: Address[],
  reads: ReadonlyMap<string, ReadResult>,
  key: string,
  seen: string[],
): CheckProblem[] {
  const name = viewFunction(signature, 'address').name
  const holder = readValue<Address>(reads, key)
  if (holder === undefined)
    return [
      {
        code: 'unreadable',
        key: `unreadable:${name}`,
        message: `${name}() cannot be read: ${failureOf(reads, key)}`,
      },
    ]
  seen.push(`${name}() ${short(holder)}`)
  if (expected.some((e) => same(e, holder))) return []
  return [
    {
      code: 'unexpected-holder',
      key: `unexpected-holder:${name}:${holder.toLowerCase()}`,
      message: `${name}() is ${holder}, expected ${expected.join(' or ')}`,
    },
  ]
}

function roleHolders(
  role: string,
  expected: Address[],
  reads: ReadonlyMap<string, ReadResult>,
  key: string,
  seen: string[],
  notes: string[],
): CheckProblem[] {
  const problems: CheckProblem[] = []
  expected.forEach((a, j) => {
    const has = readValue<boolean>(reads, `${key}:has${j}`)
    if (has === undefined)
      problems.push({
        code: 'unreadable',
        key: `unreadable:${role}:${a.toLowerCase()}`,
        message: `hasRole(${role}, ${a}) cannot be read: ${failureOf(reads, `${key}:has${j}`)}`,
      })
    else if (!has)
      problems.push({
        code: 'missing-holder',
        key: `missing-holder:${role}:${a.toLowerCase()}`,
        message: `${a} no longer holds ${role}`,
      })
  })
  const count = readValue<bigint>(reads, `${key}:count`)
  if (count === undefined) {
    notes.push(`${role}: the contract cannot list its members; only the expected holders were checked`)
    seen.push(`${role} held by the ${expected.length - problems.length} expected`)
    return problems
  }
  seen.push(`${role} held by ${count}`)
  if (count > BigInt(MAX_MEMBERS))
    notes.push(`${role}: ${count} members, only the first ${MAX_MEMBERS} were listed`)
  for (let j = 0; j < Number(count) && j < MAX_MEMBERS; j++) {
    const member = readValue<Address>(reads, `${key}:member${j}`)
    if (member === undefined)
      problems.push({
        code: 'unreadable',
        key: `unreadable:${role}:member${j}`,
        message: `member ${j} of ${role} cannot be read: ${failureOf(reads, `${key}:member${j}`)}`,
      })
    else if (!expected.some((e) => same(e, member)))
      problems.push({
        code: 'unexpected-holder',
        key: `unexpected-holder:${role}:${member.toLowerCase()}`,
        message: `${member} holds ${role}, and is not one of the expected holders`,
      })
  }
  return problems
}
