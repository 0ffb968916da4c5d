import LatticeConcurrency
import LatticeCrypto
import LatticeWire
import Logging
import NATSClient
import Synchronization

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The provider's subscriptions: invocations, links, health, shutdown, broadcast quit, heartbeats.
final class ProviderService: Sendable {
    let provider: any CapabilityProvider
    let context: ProviderContext
    let exitOnce: ExitOnce
    private let replay = SharedReplayCache()
    private let quitReplay = Mutex(ReplayCache(capacity: QuitClaims.replayCacheCapacity))
    /// When this process started serving: a quit signed before then was meant for an earlier run.
    private let startedAt = Date().timeIntervalSince1970
    private let ledger = LinkLedger()
    /// Held so the invocation subscription lives as long as the service (it serves by itself).
    private let rpcSubscription = Mutex<NATSSubscription?>(nil)
    /// Rejected invocations and refused quits are logged through this, so a flood of them costs a few lines.
    private let lines = Mutex(LineThrottle())

    /// Bytes cnats holds for the invocation subscription before its delivery thread admits, queues or refuses them.
    static let pendingByteLimit = 16 * 1024 * 1024

    init(provider: any CapabilityProvider, context: ProviderContext, exitOnce: ExitOnce) {
        self.provider = provider
        self.context = context
        self.exitOnce = exitOnce
    }

    private var data: HostData { context.hostData }

    /// `--max-concurrent-invocations` of the host that started us (DESIGN §9), passed in host data.
    private var maxConcurrentInvocations: Int {
        Int(data.envValues["LATTICE_MAX_CONCURRENT_INVOCATIONS"] ?? "").flatMap { $0 > 0 ? $0 : nil }
            ?? InvocationAdmission<Int>.defaultMaxInFlight
    }

    /// Logs a warning unless `key` already logged one within the throttle's interval.
    private func warn(_ key: String, _ line: @autoclosure () -> String) {
        guard let held = lines.withLock({ $0.admit(key, now: .now) }) else { return }
        logger.warning("\(line())\(held > 0 ? " (\(held) more like it were not logged)" : "")")
    }

    /// Turns an invocation away at once: `--max-concurrent-invocations` run and the queue is full.
    private func refuseBusy(_ message: NATSMessage, reason: String) {
        warn("busy", "turning invocations away: \(reason)")
        guard let replyTo = message.replyTo else { return }
        let response = InvocationResponse.failure(
            invocationID: "", error: "host busy: provider \(data.providerKey) link \(data.linkName): \(reason)")
        try? context.connection.publish(response.encode(), to: replyTo)
    }
    private var logger: Logger { context.logger }

    func subscribe() async throws {
        let connection = context.connection
        let subjects = context.subjects
        let key = data.providerKey
        let link = data.linkName
        let rpc = try connection.serve(
            subjects.providerRPC(key, link: link), queueGroup: Subjects.providerQueueGroup,
            pendingByteLimit: Self.pendingByteLimit,
            admission: InvocationAdmission(maxInFlight: maxConcurrentInvocations),
            handle: { message in await self.serveInvocation(message) },
            refuse: { message, reason in self.refuseBusy(message, reason: reason) })
        rpcSubscription.withLock { $0 = rpc }
        let linkPut = try connection.subscribe(to: subjects.providerLinkPut(key, link: link))
        let linkDelete = try connection.subscribe(to: subjects.providerLinkDelete(key, link: link))
        let health = try connection.subscribe(to: subjects.providerHealth(key, link: link))
        let shutdown = try connection.subscribe(to: subjects.providerShutdown(key, link: link))
        let quit = try connection.subscribe(to: subjects.quit(hostID: data.hostID))
        try await connection.flush()

        Task { for await message in linkPut { await self.linkChanged(message, added: true) } }
        Task { for await message in linkDelete { await self.linkChanged(message, added: false) } }
        Task {
            for await message in health {
                let (healthy, text) = await self.provider.health()
                let body = #"{"healthy":\#(healthy),"message":\#(JSONString.quote(text))}"#
                if let reply = message.replyTo { try? connection.publish(Array(body.utf8), to: reply) }
            }
        }
        Task { for await message in shutdown { await self.quitRequested(message, broadcast: false) } }
        Task { for await message in quit { await self.quitRequested(message, broadcast: true) } }
    }

    /// Obeys only a quit for our host, signed by a trusted cluster key; anything else is logged and ignored.
    private func quitRequested(_ message: NATSMessage, broadcast: Bool) async {
        let kind = broadcast ? "broadcast quit" : "shutdown request"
        let request: ShutdownRequest
        do {
            request = try ControlDecoding.decode(ShutdownRequest.self, from: message.payload)
        } catch {
            warn("quit", "ignoring \(kind): \(error)")
            reply(message, "ignored: \(error)")
            return
        }
        let refusal = quitReplay.withLock { cache in
            QuitClaims.refusal(
                of: request, ownHostID: data.hostID, providerKey: data.providerKey, trustedIssuers: context.issuers,
                now: Date().timeIntervalSince1970, startedAt: startedAt, replayCache: &cache)
        }
        if let refusal {
            warn("quit", "ignoring \(kind): \(refusal)")
            reply(message, "ignored: \(refusal)")
            return
        }
        reply(message, "shutting down")
        try? await context.connection.flush(timeout: .milliseconds(500))
        await exitOnce.exit(reason: "signed \(kind) from host \(data.hostID)")
    }

    private func reply(_ message: NATSMessage, _ text: String) {
        guard let replyTo = message.replyTo else { return }
        try? context.connection.publish(Array(text.utf8), to: replyTo)
    }

    private func linkChanged(_ message: NATSMessage, added: Bool) async {
        guard let link = try? ControlDecoding.decode(LinkDefinition.self, from: message.payload) else {
            warn("link", "ignoring malformed link definition on \(message.subject)")
            return
        }
        if added {
            await deliver(link)
        } else {
            ledger.forget(link)
            await provider.linkRemoved(link, context: context)
        }
    }

    /// Hands a link to the provider unless it already has it with the same values.
    func deliver(_ link: LinkDefinition) async {
        guard ledger.admit(link) else { return }
        await provider.linkAdded(link, context: context)
    }

    /// Asks the lattice for this provider's links once subscribed, for any stored while it was starting.
    func catchUpOnLinks() async {
        do {
            // Only this provider's links: the whole list may not fit in one message.
            let query = LinkQuery(providerID: data.providerKey, linkName: data.linkName)
            let reply = try await context.connection.request(
                ControlDecoding.encode(query), to: context.subjects.getLinks, timeout: .seconds(2))
            let stored = try ControlDecoding.decode(LinkDefinitionList.self, from: reply.payload)
            for link in stored.links where link.providerID == data.providerKey && link.linkName == data.linkName {
                await deliver(link)
            }
        } catch {
            logger.warning("could not fetch the stored links (\(error)); links arrive as they change")
        }
    }

    /// Verifies the invocation (anti-forgery check) before the provider sees it.
    private func serveInvocation(_ message: NATSMessage) async {
        guard let replyTo = message.replyTo else { return }
        let response: InvocationResponse
        do {
            let invocation = try Invocation.decode(message.payload)
            if let failure = InvocationValidator.validate(
                invocation, validIssuers: context.issuers, now: Date().timeIntervalSince1970, replayCache: replay)
            {
                warn(
                    "rejected \(invocation.origin.publicKey.prefix(64))",
                    "rejected invocation \(invocation.id.prefix(64)) from \(invocation.origin.publicKey.prefix(64)): \(failure.reason.prefix(300))"
                )
                response = .failure(invocationID: invocation.id, error: failure.responseError)
            } else {
                do {
                    let body = try await provider.handle(invocation, context: context)
                    response = InvocationResponse(msg: body, invocationID: invocation.id)
                } catch {
                    response = .failure(invocationID: invocation.id, error: "\(error)")
                }
            }
        } catch {
            response = .failure(invocationID: "", error: InvocationValidator.deserializationFailure)
        }
        try? context.connection.publish(response.encode(), to: replyTo)
    }
}
