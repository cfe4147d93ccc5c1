import { encodeFunctionData } from 'viem'
import guard from '../../guards/decoded-mismatch.js'
import { ALICE, BOB, erc20, inspectOffline, source, TOKEN } from '../helpers/build.js'
import { guardTester } from '../helpers/guard-tester.js'

const data = encodeFunctionData({ abi: erc20, functionName: 'transfer', args: [BOB, 1000n] })
const claim = (to: string, value: unknown, type = 'uint256') => ({
  method: 'transfer',
  parameters: [
    { name: 'to', type: 'address', value: to },
    { name: 'value', type, value },
  ],
})
const claiming = (dataDecoded: unknown) => () =>
  inspectOffline(source({ to: TOKEN, data }, dataDecoded === undefined ? {} : { dataDecoded }))

guardTester(guard, {
  valid: [
    { name: 'no claim', run: claiming(undefined) },
    { name: 'a true claim', run: claiming(claim(BOB, '1000')) },
  ],
  invalid: [
    {
      name: 'a claim with a different recipient',
      run: claiming(claim(ALICE, '1000')),
      expect: ['decoded-mismatch:high'],
    },
    {
      name: 'a claim with a different amount',
      run: claiming(claim(BOB, '1')),
      expect: ['decoded-mismatch:high'],
    },
    {
      name: 'a claim that is not even well formed',
      run: claiming({ method: 42 }),
      expect: ['claim-malformed:high'],
    },
    {
      name: 'a claim in a type custos cannot re-encode',
      run: claiming(claim(BOB, '1000', 'tuple')),
      expect: ['claim-unverifiable:high'],
    },
    {
      name: 'an unparsable claim whose readable recipient is false',
      run: claiming(claim(ALICE, '1000', 'uint256 ')),
      expect: ['claim-unverifiable:high', 'decoded-mismatch:high'],
    },
    {
      name: 'a claim whose values are malformed, with the readable ones compared',
      run: claiming(claim(ALICE, 'a thousand')),
      expect: ['claim-malformed:high', 'decoded-mismatch:high'],
    },
  ],
})
