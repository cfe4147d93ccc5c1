import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type WebSocket, WebSocketServer } from 'ws'

// A fake Discord on loopback, enough of it for the real discord.js client: the REST API under
// /api/v10 (the address given to the client's `rest.api` option) and a gateway over WebSocket
// that GET /gateway/bot points to. It checks what a real Discord would refuse (auth, embed and
// component limits, interaction tokens answered once, within 3 s) and records everything.

export type FakeMessage = {
  id: string
  channel_id: string
  content: string
  embeds: Array<Record<string, unknown>>
  components: Array<{ type: number; components: Array<Record<string, unknown>> }>
  nonce?: string
  message_reference?: { message_id: string }
  allowed_mentions?: { users?: string[]; parse?: string[] }
  edits: number
}

export type InteractionResponse = {
  interactionId: string
  type: number
  data?: Record<string, unknown>
  at: number
  /** ms between the interaction's dispatch and its first response. */
  latencyMs: number
}

const APP_ID = '100000000000000001'
const GUILD_ID = '200000000000000001'
export const FAKE_CHANNEL_ID = '300000000000000001'

export async function startFakeDiscord(opts: { token: string; roles?: string[] } = { token: 'test-token' }) {
  let nextId = 400000000000000001n
  const snowflake = () => String(nextId++)
  const messages = new Map<string, FakeMessage>()
  const dms: FakeMessage[] = []
  const dmChannels = new Map<string, string>()
  const responses: InteractionResponse[] = []
  const followUps: Array<{ token: string; body: Record<string, unknown> }> = []
  const commands: Array<{ route: string; body: unknown }> = []
  const requests: Array<{ method: string; path: string; at: number }> = []
  const rateLimits: Array<{ match: RegExp; retryAfter: number; global?: boolean }> = []
  const dispatched = new Map<string, { at: number; payload: Record<string, unknown> }>()
  const answered = new Set<string>()
  let restDown = false
  let refuseLogins = false
  let refused = 0
  let identified = 0
  const sockets = new Set<WebSocket>()
  let seq = 0

  const server: Server = createServer((req, res) => void handle(req, res))
  const wss = new WebSocketServer({ server })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  const base = `http://127.0.0.1:${port}`

  const send = (
    res: ServerResponse,
    status: number,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers })
    res.end(body === undefined ? '' : JSON.stringify(body))
  }
  const error = (res: ServerResponse, status: number, code: number, message: string) =>
    send(res, status, { code, message })

  const author = {
    id: APP_ID,
    username: 'custos',
    discriminator: '0',
    avatar: null,
    bot: true,
    global_name: null,
  }
  const toApi = (m: FakeMessage) => ({
    id: m.id,
    channel_id: m.channel_id,
    author,
    content: m.content,
    timestamp: new Date().toISOString(),
    edited_timestamp: m.edits ? new Date().toISOString() : null,
    tts: false,
    mention_everyone: false,
    mentions: [],
    mention_roles: [],
    attachments: [],
    embeds: m.embeds,
    components: m.components,
    pinned: false,
    type: 0,
    flags: 0,
    ...(m.nonce ? { nonce: m.nonce } : {}),
  })

  /** What Discord answers 400 to (error 50035, Invalid Form Body). */
  function invalidForm(body: Record<string, unknown>): string | undefined {
    const embeds = (body.embeds ?? []) as Array<Record<string, unknown>>
    if (embeds.length > 10) return 'embeds: more than 10'
    let total = 0
    for (const e of embeds) {
      const title = String(e.title ?? '')
      const description = String(e.description ?? '')
      const fields = (e.fields ?? []) as Array<{ name: string; value: string }>
      const footer = String((e.footer as { text?: string } | undefined)?.text ?? '')
      if (title.length > 256) return 'embed title over 256'
      if (description.length > 4096) return 'embed description over 4096'
      if (fields.length > 25) return 'embed over 25 fields'
      for (const f of fields) {
        if (!f.name || f.name.length > 256) return 'embed field name empty or over 256'
        if (!f.value || f.value.length > 1024) return 'embed field value empty or over 1024'
      }
      if (footer.length > 2048) return 'embed footer over 2048'
      if (e.url !== undefined && !/^https?:\/\//.test(String(e.url))) return 'embed url not http(s)'
      total += title.length + description.length + footer.length
      for (const f of fields) total += f.name.length + f.value.length
    }
    if (total > 6000) return 'embeds over 6000 characters in all'
    if (String(body.content ?? '').length > 2000) return 'content over 2000'
    const rows = (body.components ?? []) as Array<{
      type: number
      components: Array<Record<string, unknown>>
    }>
    if (rows.length > 5) return 'more than 5 action rows'
    for (const row of rows) {
      if (row.type !== 1 || row.components.length > 5) return 'bad action row'
      for (const b of row.components) {
        if (b.type !== 2) return 'only buttons are expected'
        if (b.style === 5) {
          if (!/^https?:\/\//.test(String(b.url)) || b.custom_id)
            return 'link button needs a url and no custom_id'
        } else if (!b.custom_id || String(b.custom_id).length > 100)
          return 'button custom_id missing or over 100'
        if (String(b.label ?? '').length > 80) return 'button label over 80'
      }
    }
    if (body.nonce !== undefined && String(body.nonce).length > 25) return 'nonce over 25'
    return undefined
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    const raw = Buffer.concat(chunks).toString()
    const url = new URL(req.url ?? '/', base)
    const path = url.pathname.replace(/^\/api\/v10/, '')
    const method = req.method ?? 'GET'
    requests.push({ method, path, at: Date.now() })
    if (restDown) return error(res, 503, 0, 'upstream connect error')
    const limited = rateLimits.findIndex((r) => r.match.test(`${method} ${path}`))
    if (limited >= 0) {
      const [r] = rateLimits.splice(limited, 1)
      if (r)
        return send(
          res,
          429,
          { message: 'You are being rate limited.', retry_after: r.retryAfter, global: Boolean(r.global) },
          {
            'retry-after': String(Math.ceil(r.retryAfter)),
            'x-ratelimit-scope': r.global ? 'global' : 'user',
            ...(r.global ? { 'x-ratelimit-global': 'true' } : {}),
          },
        )
    }
    // Interaction callbacks and webhooks are authenticated by their token, the rest by the bot's.
    const tokenRoute = /^\/(interactions|webhooks)\//.test(path)
    if (!tokenRoute && req.headers.authorization !== `Bot ${opts.token}`)
      return error(res, 401, 0, '401: Unauthorized')
    const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {}
    const on = (verb: string | undefined, re: RegExp) =>
      verb === undefined || verb === method ? re.exec(path) : null
    let m: RegExpExecArray | null

    if (method === 'GET' && path === '/gateway/bot')
      return send(res, 200, {
        url: `ws://127.0.0.1:${port}`,
        shards: 1,
        session_start_limit: { total: 1000, remaining: 999, reset_after: 0, max_concurrency: 1 },
      })
    m = on('PUT', /^\/applications\/(\d+)(?:\/guilds\/(\d+))?\/commands$/)
    if (m) {
      commands.push({ route: path, body })
      return send(
        res,
        200,
        (body as unknown as Array<Record<string, unknown>>).map((c) => ({
          ...c,
          id: snowflake(),
          application_id: APP_ID,
          version: '1',
        })),
      )
    }
    m = on('POST', /^\/channels\/(\d+)\/messages$/)
    if (m) {
      const channelId = m[1] as string
      const invalid = invalidForm(body)
      if (invalid) return send(res, 400, { code: 50035, message: `Invalid Form Body: ${invalid}` })
      const list = channelId === FAKE_CHANNEL_ID ? [...messages.values()] : dms
      // enforce_nonce: a repeat of the same nonce returns the message already created.
      if (body.enforce_nonce && body.nonce) {
        const twin = list.find((x) => x.nonce === body.nonce && x.channel_id === channelId)
        if (twin) return send(res, 200, toApi(twin))
      }
      const isDm = [...dmChannels.values()].includes(channelId)
      if (channelId !== FAKE_CHANNEL_ID && !isDm) return error(res, 404, 10003, 'Unknown Channel')
      const msg: FakeMessage = {
        id: snowflake(),
        channel_id: channelId,
        content: String(body.content ?? ''),
        embeds: (body.embeds ?? []) as FakeMessage['embeds'],
        components: (body.components ?? []) as FakeMessage['components'],
        ...(body.nonce ? { nonce: String(body.nonce) } : {}),
        ...(body.message_reference
          ? { message_reference: body.message_reference as { message_id: string } }
          : {}),
        ...(body.allowed_mentions
          ? { allowed_mentions: body.allowed_mentions as NonNullable<FakeMessage['allowed_mentions']> }
          : {}),
        edits: 0,
      }
      if (isDm) dms.push(msg)
      else messages.set(msg.id, msg)
      return send(res, 200, toApi(msg))
    }
    m = on('PATCH', /^\/channels\/(\d+)\/messages\/(\d+)$/)
    if (m) {
      const msg = messages.get(m[2] as string)
      if (!msg || msg.channel_id !== m[1]) return error(res, 404, 10008, 'Unknown Message')
      const invalid = invalidForm(body)
      if (invalid) return send(res, 400, { code: 50035, message: `Invalid Form Body: ${invalid}` })
      if (body.embeds) msg.embeds = body.embeds as FakeMessage['embeds']
      if (body.components) msg.components = body.components as FakeMessage['components']
      if (body.content !== undefined) msg.content = String(body.content)
      msg.edits++
      return send(res, 200, toApi(msg))
    }
    if (method === 'POST' && path === '/users/@me/channels') {
      const recipient = String(body.recipient_id)
      if (recipient === '999999999999999999')
        return error(res, 403, 50007, 'Cannot send messages to this user')
      let id = dmChannels.get(recipient)
      if (!id) {
        id = snowflake()
        dmChannels.set(recipient, id)
      }
      return send(res, 200, {
        id,
        type: 1,
        last_message_id: null,
        recipients: [
          { id: recipient, username: `user${recipient.slice(-3)}`, discriminator: '0', avatar: null },
        ],
      })
    }
    m = on('POST', /^\/interactions\/(\d+)\/([^/]+)\/callback$/)
    if (m) {
      const id = m[1] as string
      const d = dispatched.get(id)
      if (!d || d.payload.token !== m[2]) return error(res, 401, 50027, 'Invalid Webhook Token')
      if (answered.has(id)) return error(res, 400, 40060, 'Interaction has already been acknowledged.')
      const latencyMs = Date.now() - d.at
      if (latencyMs > 3000) return error(res, 404, 10062, 'Unknown interaction')
      answered.add(id)
      const type = Number(body.type)
      const data = body.data as Record<string, unknown> | undefined
      if (data) {
        const invalid = invalidForm(data)
        if (invalid) return send(res, 400, { code: 50035, message: `Invalid Form Body: ${invalid}` })
      }
      responses.push({ interactionId: id, type, ...(data ? { data } : {}), at: Date.now(), latencyMs })
      // Type 7 (UPDATE_MESSAGE) edits the message the button is on.
      const messageId = (d.payload.message as { id?: string } | undefined)?.id
      const target = messageId ? messages.get(messageId) : undefined
      if (type === 7 && target && data) {
        if (data.embeds) target.embeds = data.embeds as FakeMessage['embeds']
        if (data.components) target.components = data.components as FakeMessage['components']
        target.edits++
      }
      if (url.searchParams.get('with_response') === 'true')
        return send(res, 200, { interaction: { id, type: d.payload.type }, resource: { type } })
      res.writeHead(204).end()
      return
    }
    m = on(undefined, /^\/webhooks\/(\d+)\/([^/]+)(?:\/messages\/(?:@|%40)original)?$/)
    if (m) {
      followUps.push({ token: m[2] as string, body })
      return send(
        res,
        200,
        toApi({
          id: snowflake(),
          channel_id: FAKE_CHANNEL_ID,
          content: String(body.content ?? ''),
          embeds: [],
          components: [],
          edits: 0,
        }),
      )
    }
    m = on('GET', /^\/channels\/(\d+)$/)
    if (m)
      return send(res, 200, { id: m[1], type: 0, guild_id: GUILD_ID, name: 'custos-alerts', position: 0 })
    return error(res, 404, 0, `404: Not Found (${method} ${path})`)
  }

  const dispatch = (t: string, d: unknown) => {
    for (const ws of sockets) ws.send(JSON.stringify({ op: 0, t, s: ++seq, d }))
  }

  wss.on('connection', (ws) => {
    ws.send(JSON.stringify({ op: 10, d: { heartbeat_interval: 41_250 } }))
    ws.on('message', (raw) => {
      const p = JSON.parse(String(raw)) as { op: number; d: Record<string, unknown> }
      if (p.op === 1) ws.send(JSON.stringify({ op: 11 }))
      // RESUME: this fake keeps no sessions, so it answers INVALID_SESSION (not resumable) and
      // the client identifies afresh, as it does when Discord drops a session.
      if (p.op === 6) ws.send(JSON.stringify({ op: 9, d: false }))
      if (p.op === 2) {
        if (refuseLogins) {
          refused++
          return ws.close(4004, 'Authentication failed')
        }
        if (p.d.token !== opts.token) return ws.close(4004, 'Authentication failed')
        identified++
        sockets.add(ws)
        ws.send(
          JSON.stringify({
            op: 0,
            t: 'READY',
            s: ++seq,
            d: {
              v: 10,
              user: { id: APP_ID, username: 'custos', discriminator: '0', avatar: null, bot: true, flags: 0 },
              guilds: [{ id: GUILD_ID, unavailable: true }],
              session_id: `session-${identified}`,
              resume_gateway_url: `ws://127.0.0.1:${port}`,
              application: { id: APP_ID, flags: 0 },
              private_channels: [],
            },
          }),
        )
        ws.send(
          JSON.stringify({
            op: 0,
            t: 'GUILD_CREATE',
            s: ++seq,
            d: {
              id: GUILD_ID,
              name: 'Treasury signers',
              owner_id: '500000000000000001',
              roles: [
                {
                  id: GUILD_ID,
                  name: '@everyone',
                  permissions: '0',
                  position: 0,
                  color: 0,
                  hoist: false,
                  managed: false,
                  mentionable: false,
                  flags: 0,
                },
                ...(opts.roles ?? []).map((id, i) => ({
                  id,
                  name: `role-${i}`,
                  permissions: '0',
                  position: i + 1,
                  color: 0,
                  hoist: false,
                  managed: false,
                  mentionable: false,
                  flags: 0,
                })),
              ],
              channels: [
                {
                  id: FAKE_CHANNEL_ID,
                  type: 0,
                  name: 'custos-alerts',
                  position: 0,
                  permission_overwrites: [],
                },
              ],
              members: [],
              threads: [],
              emojis: [],
              stickers: [],
              features: [],
              member_count: 3,
              large: false,
              unavailable: false,
              joined_at: new Date().toISOString(),
              voice_states: [],
              presences: [],
              stage_instances: [],
              guild_scheduled_events: [],
              soundboard_sounds: [],
            },
          }),
        )
      }
    })
    ws.on('close', () => sockets.delete(ws))
  })

  const member = (u: { id: string; name: string; roles?: string[] }) => ({
    user: { id: u.id, username: u.name, discriminator: '0', avatar: null, global_name: u.name },
    roles: u.roles ?? [],
    permissions: '0',
    joined_at: new Date(0).toISOString(),
    deaf: false,
    mute: false,
    flags: 0,
  })
  const common = (id: string) => ({
    id,
    application_id: APP_ID,
    token: `itoken-${id}-${Math.random().toString(36).slice(2)}`,
    version: 1,
    guild_id: GUILD_ID,
    channel_id: FAKE_CHANNEL_ID,
    channel: { id: FAKE_CHANNEL_ID, type: 0, name: 'custos-alerts', guild_id: GUILD_ID },
    app_permissions: '0',
    locale: 'en-US',
    guild_locale: 'en-US',
    entitlements: [],
    authorizing_integration_owners: { '0': GUILD_ID },
    context: 0,
  })

  return {
    /** The REST base to give discord.js (`rest.api`). */
    api: `${base}/api`,
    appId: APP_ID,
    guildId: GUILD_ID,
    channelId: FAKE_CHANNEL_ID,
    messages: () => [...messages.values()],
    dms,
    responses,
    followUps,
    commands,
    requests,
    identified: () => identified,
    connected: () => sockets.size > 0,
    /** The next request matching `match` (`METHOD /path`) is answered 429 with this retry_after (s). */
    rateLimit: (match: RegExp, retryAfter: number, global = false) =>
      rateLimits.push({ match, retryAfter, global }),
    /** While on, the gateway refuses every login (IDENTIFY is closed with 4004); REST still works. */
    refuseLogins: (on: boolean) => {
      refuseLogins = on
    },
    /** Logins refused so far. */
    refusedLogins: () => refused,
    /** Every REST request answers 503 while down. */
    setRestDown: (down: boolean) => {
      restDown = down
    },
    /** A user presses a button on a message; returns the interaction id. */
    press(user: { id: string; name: string; roles?: string[] }, customId: string, messageId: string): string {
      const msg = messages.get(messageId)
      if (!msg) throw new Error(`no message ${messageId}`)
      const id = snowflake()
      const payload = {
        ...common(id),
        type: 3,
        data: { custom_id: customId, component_type: 2 },
        member: member(user),
        message: toApi(msg),
      }
      dispatched.set(id, { at: Date.now(), payload })
      dispatch('INTERACTION_CREATE', payload)
      return id
    },
    /** Sends the same interaction again (a gateway replay). */
    replay(id: string) {
      const d = dispatched.get(id)
      if (!d) throw new Error(`no interaction ${id}`)
      dispatch('INTERACTION_CREATE', d.payload)
    },
    /** A user runs `/custos <sub> …`; returns the interaction id. */
    slash(
      user: { id: string; name: string; roles?: string[] },
      sub: string,
      options: Record<string, string> = {},
    ): string {
      const id = snowflake()
      const payload = {
        ...common(id),
        type: 2,
        data: {
          id: '600000000000000001',
          name: 'custos',
          type: 1,
          options: [
            {
              type: 1,
              name: sub,
              options: Object.entries(options).map(([name, value]) => ({ type: 3, name, value })),
            },
          ],
        },
        member: member(user),
      }
      dispatched.set(id, { at: Date.now(), payload })
      dispatch('INTERACTION_CREATE', payload)
      return id
    },
    /** Every response (callback, follow-up, edit of the original) to one interaction. */
    answersTo(id: string) {
      const d = dispatched.get(id)
      const token = d?.payload.token as string | undefined
      return {
        callbacks: responses.filter((r) => r.interactionId === id),
        followUps: followUps.filter((f) => f.token === token),
      }
    },
    /** Drops every gateway connection (the client reconnects). */
    dropGateway() {
      for (const ws of sockets) ws.terminate()
    },
    async close() {
      for (const ws of wss.clients) ws.terminate()
      await new Promise<void>((resolve) => wss.close(() => resolve()))
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

export type FakeDiscord = Awaited<ReturnType<typeof startFakeDiscord>>
