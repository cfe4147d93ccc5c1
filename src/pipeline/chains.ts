import type { PublicClient } from 'viem'
import { resolveSecret } from '../config/load.js'
import type { Config } from '../config/schema.js'
import { InputError } from '../model/errors.js'
import type { Metrics } from '../server/metrics.js'
import { createRateGate, type RateGate, watchRateLimits } from '../sources/rate-gate.js'
import { createRpcClient } from '../sources/rpc.js'
import { createServiceClient, type ServiceClient } from '../sources/tx-service.js'

const HOSTED_SERVICE = 'https://api.safe.global/tx-service'

/** The RPC endpoints of each chain custos watches, with failover counted in the metrics. */
export function createChainClients(
  config: Config,
  env: NodeJS.ProcessEnv,
  chains: number[],
  metrics: Metrics,
) {
  const urls = new Map<number, string[]>()
  const clients = new Map<number, PublicClient>()
  for (const chainId of chains) {
    const list = (config.chains[String(chainId)]?.rpc ?? []).map((r, i) =>
      resolveSecret(r, env, `chains.${chainId}.rpc[${i}]`),
    )
    if (list.length === 0)
      throw new InputError(`chains.${chainId}.rpc: no RPC endpoint for a watched target's chain ${chainId}`)
    urls.set(chainId, list)
    clients.set(
      chainId,
      createRpcClient(list, {
        onOutcome: (o) => {
          if (o.ok) return
          metrics.rpcErrors.inc({ chain: String(chainId), endpoint: String(o.index) })
          if (!o.last) metrics.rpcFailovers.inc({ chain: String(chainId) })
        },
      }),
    )
  }
  return {
    client: (chainId: number) => clients.get(chainId) as PublicClient,
    upstreams: (chainId: number) => urls.get(chainId) ?? [],
  }
}

/**
 * The transaction service of each chain (Safe's hosted one unless configured), with one rate
 * gate per service host, fed by the service's own 429s and rate-limit headers.
 */
export function createServiceAccess(config: Config, env: NodeJS.ProcessEnv, clock: () => number) {
  const services = new Map<number, Promise<ServiceClient>>()
  const gates = new Map<string, RateGate>()
  const unwatch: Array<() => void> = []
  const serviceUrl = (chainId: number) => config.chains[String(chainId)]?.txService ?? HOSTED_SERVICE
  const gate = (chainId: number): RateGate => {
    const host = new URL(serviceUrl(chainId)).host
    let g = gates.get(host)
    if (!g) {
      g = createRateGate(clock)
      gates.set(host, g)
      unwatch.push(watchRateLimits(serviceUrl(chainId), g))
    }
    return g
  }
  const service = (chainId: number) => {
    let s = services.get(chainId)
    if (!s) {
      const chain = config.chains[String(chainId)]
      const apiKey = chain?.txServiceApiKeyEnv ? env[chain.txServiceApiKeyEnv] : undefined
      gate(chainId)
      s = createServiceClient({
        chainId,
        ...(chain?.txService ? { url: chain.txService } : {}),
        ...(apiKey ? { apiKey } : {}),
      })
      services.set(chainId, s)
    }
    return s
  }
  const close = () => {
    for (const u of unwatch.splice(0)) u()
  }
  return { service, gate, close }
}
