import Foundation
import LatticeCrypto
import LatticeWire
import NATSClient

/// The caller's side of DESIGN §13's auctions: publish once, gather every bid until the window closes, and pick
/// the least-loaded bidder.
enum Auction {
    /// Every reply that decodes as `Bid` within `window`; replies that do not are ignored.
    static func gather<Request: Encodable, Bid: Decodable>(
        _ connection: NATSConnection, subject: String, request: Request, window: Duration, as: Bid.Type
    ) async throws -> [Bid] {
        try await connection.gather(ControlDecoding.encode(request), to: subject, window: window).compactMap {
            try? ControlDecoding.decode(Bid.self, from: $0.payload)
        }
    }

    /// The refusal when nobody bid, naming the constraints as the operator gave them.
    static func noHost(_ constraints: [String: String]) -> CLIError {
        constraints.isEmpty
            ? CLIError("No host satisfies the placement: no host bid (all cordoned, stopping, or unable to load it)")
            : CLIError("No host satisfies \(HostLabelRules.describe(constraints))")
    }

    /// The annotations that record how a workload was placed, so `lattice evacuate` can place it again.
    static func annotations(_ constraints: [String: String]) -> [String: String] {
        [PlacementAnnotation.constraints: JSONValue.object(constraints.mapValues { .string($0) }).jsonText]
    }

    /// The constraints recorded in a workload's annotations; none when it was placed by host id.
    static func constraints(in annotations: [String: String]) -> [String: String] {
        guard let text = annotations[PlacementAnnotation.constraints],
            case .object(let fields)? = try? JSONParser.parse(Array(text.utf8))
        else { return [:] }
        return fields.compactMapValues(\.stringValue)
    }

    /// Runs an actor auction and returns the winner, or throws "No host satisfies …".
    static func placeActor(
        _ connection: NATSConnection, _ lattice: LatticeOptions, reference: String, constraints: [String: String],
        window: Duration, excluding: Set<String> = []
    ) async throws -> String {
        let bids = try await gather(
            connection, subject: lattice.subjects.auctionActor,
            request: ActorAuctionRequest(actorRef: reference, constraints: constraints), window: window,
            as: ActorAuctionBid.self)
        guard let host = HostLoad.leastLoaded(bids.map { ($0.hostID, $0.load) }, excluding: excluding) else {
            throw noHost(constraints)
        }
        return host
    }

    /// The same for a provider under a link name.
    static func placeProvider(
        _ connection: NATSConnection, _ lattice: LatticeOptions, reference: String, link: String,
        constraints: [String: String], window: Duration, excluding: Set<String> = []
    ) async throws -> String {
        let bids = try await gather(
            connection, subject: lattice.subjects.auctionProvider,
            request: ProviderAuctionRequest(providerRef: reference, linkName: link, constraints: constraints),
            window: window, as: ProviderAuctionBid.self)
        guard let host = HostLoad.leastLoaded(bids.map { ($0.hostID, $0.load) }, excluding: excluding) else {
            throw noHost(constraints)
        }
        return host
    }
}

/// `[HOST] REF` of `lattice start actor|provider`: with a host id, start there; without one, run an auction.
struct PlacementTarget {
    /// The host to start on, and the annotations that record the placement: the host id given, or the winner of
    /// `auction` (run on a connection of its own, for `window`), with its constraints recorded.
    func place(
        _ lattice: LatticeOptions, window text: String,
        auction: (NATSConnection, Duration) async throws -> String
    ) async throws -> (host: String, annotations: [String: String]?) {
        if let host { return (host, nil) }
        let window = try CLIValue.duration(text, name: "--auction-window")
        return try await lattice.withConnection { connection in
            return (try await auction(connection, window), Auction.annotations(constraints))
        }
    }

    let host: String?
    let reference: String
    let constraints: [String: String]

    init(_ arguments: [String], constraints pairs: [String]) throws {
        let constraints = try CLIValue.pairs(pairs, name: "--constraint")
        switch arguments.count {
        case 1:
            host = nil
            reference = arguments[0]
        case 2:
            guard constraints.isEmpty else {
                throw CLIError("--constraint places by auction: give either a host id or constraints, not both")
            }
            try requireHostID(arguments[0])
            host = arguments[0]
            reference = arguments[1]
        default:
            throw CLIError("give the reference, optionally after a host id: [HOST] REF")
        }
        self.constraints = constraints
    }
}
