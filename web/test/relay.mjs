// Relay-only ICE for the browser tests (t/920), chosen by the environment:
//
//   E2EE_RELAY="udp tls"   the i-th browser context may use nothing but TURN
//                          relays, of the i-th kind (cycled): "udp"
//                          (turn:...?transport=udp) or "tls" (turns:...)
//   E2EE_TURNS_PORT=N      connect to turns: servers on port N, not the
//                          443 LiveKit always announces (the test's TLS
//                          router listens on a free port)
//
// The product code is not touched: an init script, run before the page's
// own scripts, subclasses RTCPeerConnection.  It records the ICE servers
// LiveKit handed out (without credentials) and gives the real constructor
// only the wanted relays, with iceTransportPolicy 'relay'.  Afterwards
// relayChecks() reads the candidate pairs that carried anything.

const kinds = (process.env.E2EE_RELAY ?? '').split(/\s+/).filter(Boolean);
const turnsPort = Number(process.env.E2EE_TURNS_PORT ?? 0);
let contexts = 0;

/** Restricts a new browser context to relays; returns its kind or null. */
export async function relayOnly(ctx) {
  if (kinds.length === 0) return null;
  const kind = kinds[contexts++ % kinds.length];
  await ctx.addInitScript(([want, port]) => {
    const Native = window.RTCPeerConnection;
    const seen = [];
    const pcs = [];
    const keep = (servers) => (servers ?? []).map((s) => ({
      ...s,
      urls: [].concat(s.urls)
        .filter((u) => (want === 'tls' ? /^turns:/.test(u)
                                       : /^turn:.*transport=udp/.test(u)))
        .map((u) => (port ? u.replace(/^(turns:[^:?]+):443\b/, `$1:${port}`) : u)),
    })).filter((s) => s.urls.length > 0);
    const note = (servers) => seen.push(...(servers ?? []).map((s) => ({
      urls: [].concat(s.urls), username: s.username ?? '',
      credential: typeof s.credential === 'string' && s.credential.length > 0,
    })));
    class RelayOnly extends Native {
      constructor(config = {}, ...rest) {
        note(config.iceServers);
        super({ ...config, iceServers: keep(config.iceServers),
                iceTransportPolicy: 'relay' }, ...rest);
        pcs.push(this);
      }

      setConfiguration(config = {}) {
        note(config.iceServers);
        return super.setConfiguration({ ...config,
          iceServers: keep(config.iceServers), iceTransportPolicy: 'relay' });
      }
    }
    window.RTCPeerConnection = RelayOnly;
    window.bedrudRelay = { want, seen, pcs };
  }, [kind, turnsPort]);
  return kind;
}

/** One check per person: what LiveKit offered, and the pairs in use. */
export async function relayChecks(people, check) {
  for (const { page, who, kind } of people) {
    if (!kind || page.isClosed()) continue;
    const r = await page.evaluate(async () => {
      const out = { seen: window.bedrudRelay.seen, pcs: [], used: [], received: 0 };
      for (const pc of window.bedrudRelay.pcs) {
        out.pcs.push(pc.connectionState);
        if (pc.connectionState === 'closed') continue;
        const stats = await pc.getStats();
        stats.forEach((s) => {
          if (s.type === 'transport') out.received += s.bytesReceived ?? 0;
          // every pair that carried anything (ICE may switch pairs)
          if (s.type !== 'candidate-pair'
              || !(s.bytesReceived > 0 || s.bytesSent > 0)) return;
          const local = stats.get(s.localCandidateId);
          out.used.push({ type: local?.candidateType ?? '?',
                          protocol: local?.relayProtocol ?? '',
                          received: s.bytesReceived, sent: s.bytesSent });
        });
      }
      return out;
    });
    if (r.seen.length === 0 && r.pcs.length === 0) continue;   // no meeting
    const urls = r.seen.flatMap((s) => (s.username && s.credential ? s.urls : []));
    check(urls.some((u) => /^turn:127\.0\.0\.1:\d+\?transport=udp$/.test(u))
          && urls.some((u) => /^turns:[^:]+:443\?transport=tcp$/.test(u)),
          `LiveKit gave ${who} its TURN/UDP and TURN/TLS servers with credentials`,
          JSON.stringify(r.seen));
    check(r.used.length > 0
          && r.used.every((p) => p.type === 'relay' && p.protocol === kind)
          && r.received > 0,
          `${who}'s media flows through TURN/${kind.toUpperCase()} relays only`,
          JSON.stringify(r));
  }
}
