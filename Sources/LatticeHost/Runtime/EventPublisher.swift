import LatticeWire
import Logging
import NATSClient

/// Publishes this host's CloudEvents on `wasmbus.evt.{lattice}`.
public struct EventPublisher: Sendable {
    let connection: NATSConnection
    let subject: String
    let hostID: String
    let logger: Logger

    /// Publishes without waiting; a failure is logged, never thrown, so events cannot stop the host.
    public func publish<T: Encodable>(_ type: EventType, _ payload: T) {
        let event = CloudEvent(source: hostID, type: type, payload: payload)
        do {
            try connection.publish(event.encoded(), to: subject)
        } catch {
            logger.warning("could not publish \(type.rawValue) event: \(error)")
        }
    }
}
