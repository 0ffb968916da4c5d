import LatticeWire
import Logging
import NATSClient
import Synchronization

/// Answers the control subjects of §5 for one host.
///
/// Every command is acknowledged at once; bad input gets `accepted: false` naming what was wrong
/// and the host keeps serving. Work a command starts reports its outcome as an event.
///
/// Each command runs in a task of its own with a time limit, so one slow command (a start whose provider
/// does not read its host data, say) cannot hold the others, and past the limit it is answered with an error.
final class ControlInterface: Sendable {
    private let host: Host
    private let subjects: Subjects
    private let logger: Logger
    private let commandTimeLimit: Duration
    /// Starts may pull an artifact from a registry first, so they get longer.
    static let startTimeLimit: Duration = .seconds(60)
    /// The subscriptions `drain` ends, with their loops. The host's own command subject is not among them: it
    /// stays until the connection itself drains, so that a stop sent while the host is stopping is always
    /// answered (it joins the stop under way) rather than met by "no responders" (DESIGN §5).
    private let drainedAtStop = Mutex<(subscriptions: [NATSSubscription], loops: [Task<Void, Never>])>(([], []))

    init(host: Host, commandTimeLimit: Duration = .seconds(10)) {
        self.host = host
        self.subjects = host.subjects
        self.logger = host.logger
        self.commandTimeLimit = commandTimeLimit
    }

    /// Subscribes to every control subject and serves until the subscriptions end.
    func start() throws -> [Task<Void, Never>] {
        let connection = host.connection
        let hostID = host.identity.hostID
        let commands = try connection.subscribe(to: subjects.hostCommands(hostID: hostID))
        let subscriptions = [
            try connection.subscribe(to: subjects.inventory(hostID: hostID)),
            try connection.subscribe(to: subjects.pingHosts),
            try connection.subscribe(to: subjects.linkPut, queueGroup: subjects.controlQueueGroup),
            try connection.subscribe(to: subjects.linkDelete, queueGroup: subjects.controlQueueGroup),
            try connection.subscribe(to: subjects.getLinks, queueGroup: subjects.controlQueueGroup),
            // No queue group: every host keeps its own credentials.
            try connection.subscribe(to: subjects.registriesPut),
            try connection.subscribe(to: subjects.labels(hostID: hostID)),
            // No queue group either: every host may bid.
            try connection.subscribe(to: subjects.auctionActor),
            try connection.subscribe(to: subjects.auctionProvider),
        ]
        // A loop ends only once every command it received has been answered: drain relies on it.
        let loops = subscriptions.map(serve)
        drainedAtStop.withLock { $0 = (subscriptions, loops) }
        return [serve(commands)] + loops
    }

    private func serve(_ subscription: NATSSubscription) -> Task<Void, Never> {
        Task {
            await withDiscardingTaskGroup { group in
                for await message in subscription {
                    group.addTask { await self.handleWithinLimit(message) }
                }
            }
        }
    }

    /// Stops listening but answers every command already received, before NATS itself is drained. The host's
    /// command subject keeps answering until then: a stop joins, any other command is refused as the host stops.
    func drain(deadline: ContinuousClock.Instant) async {
        let (subscriptions, loops) = drainedAtStop.withLock { $0 }
        // In parallel: each drain waits for cnats to confirm it, about a millisecond apiece, and a host with no
        // work should still exit within 20 ms of its SIGTERM (issue 16).
        await withTaskGroup(of: Void.self) { group in
            for subscription in subscriptions {
                group.addTask { try? await subscription.drain(timeout: max(.milliseconds(50), deadline - .now)) }
            }
        }
        let finished = Task { for loop in loops { await loop.value } }
        let bound = Task {
            try? await ContinuousClock().sleep(until: deadline)
            finished.cancel()
        }
        await finished.value
        bound.cancel()
    }

    /// Answers one message within the time limit; a command still running then gets an error ack instead, and
    /// whatever it would have answered later is dropped.
    private func handleWithinLimit(_ message: NATSMessage) async {
        let once = OneReply()
        let isStart =
            subjects.parse(message.subject).map { [.startActor, .startProvider].contains($0.command) } ?? false
        let limit = isStart ? max(commandTimeLimit, Self.startTimeLimit) : commandTimeLimit
        let finished = await TimeLimit.run(within: limit) { await self.handle(message, once) }
        guard !finished, let (command, _) = subjects.parse(message.subject) else { return }
        logger.warning("control command \(command.rawValue) on \(message.subject) timed out after \(limit)")
        // Pings and auctions are gathered from every host, so an ack there would read as a host's answer: their
        // requester waits out its window. Every other requester gets the error instead of a timeout.
        guard ![.ping, .auctionActor, .auctionProvider].contains(command) else { return }
        reply(message, once, .rejected("\(command.rawValue) timed out after \(limit)"))
    }

    private func handle(_ message: NATSMessage, _ once: OneReply) async {
        guard let (command, target) = subjects.parse(message.subject) else {
            reply(message, once, .rejected("unknown control subject '\(message.subject)'"))
            return
        }
        if let target, target != host.identity.hostID {
            reply(message, once, .rejected("this is host \(host.identity.hostID), not \(target)"))
            return
        }
        switch command {
        case .ping:
            await answerPing(message, once)
        case .inventory:
            await answer(message, once, with: host.inventory(), what: "inventory of host \(host.identity.hostID)")
        case .stopHost:
            handleStop(message, once)
        case .auctionActor:
            await answerAuction(message, once) { (request: ActorAuctionRequest) in await self.host.bid(request) }
        case .auctionProvider:
            await answerAuction(message, once) { (request: ProviderAuctionRequest) in await self.host.bid(request) }
        case .getLinks:
            await answerLinks(message, once)
        default:
            guard await host.state.acceptingCommands else {
                reply(message, once, .rejected("host \(host.identity.hostID) is stopping and takes no new commands"))
                return
            }
            reply(message, once, await host.handleWorkloadCommand(command, body: message.payload))
        }
    }

    private func handleStop(_ message: NATSMessage, _ once: OneReply) {
        let command: StopHostCommand
        do {
            command = try ControlDecoding.decode(StopHostCommand.self, from: emptyAsObject(message.payload)).validated()
        } catch {
            reply(message, once, .rejected("invalid stop command: \(error)"))
            return
        }
        if let requested = command.hostID, !requested.isEmpty, requested != host.identity.hostID {
            reply(message, once, .rejected("stop is addressed to host \(requested), this is \(host.identity.hostID)"))
            return
        }
        reply(message, once, .accepted)
        let timeout = command.timeout.map { Duration.milliseconds($0) } ?? host.configuration.shutdownTimeout
        let host = self.host
        Task { _ = await host.stop(trigger: .controlSubject, timeout: timeout) }
    }

    /// A stop with no body at all is a plain "stop now", as operators type it.
    private func emptyAsObject(_ payload: [UInt8]) -> [UInt8] {
        payload.allSatisfy({ [0x20, 0x09, 0x0A, 0x0D].contains($0) }) ? Array("{}".utf8) : payload
    }

    /// A bid, or silence: an auction is gathered, so a refusal would read as a bid. A body that is not a valid
    /// request is not answered, and logged only at debug level, since anyone may publish auctions.
    private func answerAuction<Request: Decodable, Bid: Encodable>(
        _ message: NATSMessage, _ once: OneReply, bid: (Request) async throws -> Bid?
    ) async {
        do {
            let request = try ControlDecoding.decode(Request.self, from: message.payload)
            guard let offer = try await bid(request) else { return }
            await answer(message, once, with: offer, what: "bid")
        } catch {
            logger.debug("ignored an auction on \(message.subject): \(error)")
        }
    }

    private func answerPing(_ message: NATSMessage, _ once: OneReply) async {
        let identity = host.identity
        let state = host.state
        let ping = PingReply(
            id: identity.hostID, issuer: identity.clusterKey.publicKey, labels: await state.labels,
            friendlyName: identity.friendlyName, uptimeSeconds: await state.uptimeSeconds,
            version: Host.version, clusterIssuers: identity.clusterIssuers, latticePrefix: subjects.lattice,
            cordoned: await state.cordoned)
        await answer(message, once, with: ping, what: "ping")
        await host.publishHeartbeat()
    }

    /// The links from the host's table; a list too large for one message names the bucket to read instead.
    private func answerLinks(_ message: NATSMessage, _ once: OneReply) async {
        let links = host.links
        let query: LinkQuery
        do {
            let blank = message.payload.allSatisfy { [0x20, 0x09, 0x0A, 0x0D].contains($0) }
            query = try blank ? LinkQuery() : ControlDecoding.decode(LinkQuery.self, from: message.payload)
        } catch {
            reply(message, once, .rejected("invalid get.links filter: \(error)"))
            return
        }
        do {
            let (count, encoded) = try await links.reply(query)
            let bucket = await links.bucketName
            send(message, once, encoded) { size, limit in
                "get.links: \(count) links make a reply of \(size) bytes, over the server's max payload of \(limit) bytes; read the \(bucket) bucket directly (lattice get links does)"
            }
        } catch {
            reply(message, once, .rejected("\(error)"))
        }
    }

    private func answer<T: Encodable>(_ message: NATSMessage, _ once: OneReply, with value: T, what: String) async {
        send(message, once, ControlDecoding.encode(value)) { size, limit in
            "the \(what) reply is \(size) bytes, over the server's max payload of \(limit) bytes"
        }
    }

    /// Every data reply goes out here: the data when it fits the server's max payload, else an error ack that says
    /// why (`tooLarge(size, limit)`), and an error ack as well when publishing fails. The requester gets an answer
    /// either way instead of waiting out its timeout while only the host's log knows what happened.
    private func send(
        _ message: NATSMessage, _ once: OneReply, _ encoded: [UInt8], tooLarge: (Int, Int) -> String
    ) {
        guard let replyTo = message.replyTo, once.claim() else { return }
        let limit = host.connection.maxPayload
        if limit > 0, encoded.count > limit {
            let refusal = CommandAck.rejected(tooLarge(encoded.count, limit))
            logger.notice("refused \(message.subject): \(refusal.error)")
            publishAck(refusal, to: replyTo, for: message)
            return
        }
        do {
            try host.connection.publish(encoded, to: replyTo)
        } catch {
            logger.warning("could not reply on \(message.subject): \(error)")
            publishAck(
                .rejected("could not send the reply (\(encoded.count) bytes): \(error)"), to: replyTo, for: message)
        }
    }

    private func publishAck(_ ack: CommandAck, to replyTo: String, for message: NATSMessage) {
        do {
            try host.connection.publish(ack.encoded(), to: replyTo)
        } catch {
            logger.warning("could not acknowledge \(message.subject): \(error)")
        }
    }

    private func reply(_ message: NATSMessage, _ once: OneReply, _ ack: CommandAck) {
        guard once.claim() else { return }
        if !ack.accepted { logger.notice("refused \(message.subject): \(ack.error)") }
        guard let replyTo = message.replyTo else { return }
        publishAck(ack, to: replyTo, for: message)
    }
}

/// Lets exactly one answer go out for a message: the command's own, or the time limit's error ack.
private final class OneReply: Sendable {
    private let claimed = Mutex(false)

    /// True for the first caller only.
    func claim() -> Bool {
        claimed.withLock { claimed in
            defer { claimed = true }
            return !claimed
        }
    }
}
