import LatticeWire
import Synchronization

/// Lets each link reach the provider once, whichever way it arrived first.
///
/// A starting provider can learn of a link three ways: in its host data, on its put subject, or from the
/// catch-up query it makes once subscribed. The query is there for a link stored after the host wrote the
/// host data but before the provider listened, whose put nobody heard. The ledger passes the first copy,
/// drops the echoes, and passes a later change of values again.
final class LinkLedger: Sendable {
    private let known = Mutex<[String: LinkDefinition]>([:])

    /// True when the provider has not seen this link with these values yet; records it.
    func admit(_ link: LinkDefinition) -> Bool {
        known.withLock { known in
            if known[link.actorID] == link { return false }
            known[link.actorID] = link
            return true
        }
    }

    /// Forgets a removed link, so that putting it again reaches the provider.
    func forget(_ link: LinkDefinition) {
        _ = known.withLock { $0.removeValue(forKey: link.actorID) }
    }
}
