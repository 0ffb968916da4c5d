import LatticeTesting
import Testing

@Suite("lattice-host start: a bad flag is one clear line and a non-zero exit")
struct StartFlagTests {
    @Test(arguments: [
        (["--links-replicas", "9"], "--links-replicas must be a whole number from 1 to 5, not '9'"),
        (["--links-replicas", "three"], "--links-replicas must be a whole number from 1 to 5, not 'three'"),
        (["--heartbeat-interval", "soon"], "--heartbeat-interval must be a duration like 500ms, 10s or 2m"),
        (["--log-format", "xml"], "--log-format must be text or json, not 'xml'"),
        (["--provider-max-restarts", "many"], "--provider-max-restarts must be a whole number, not 'many'"),
        (["--provider-restart-delay", "soon"], "--provider-restart-delay must be a duration like 500ms, 10s or 2m"),
        (["--provider-start-timeout", "x"], "--provider-start-timeout must be a duration like 500ms, 10s or 2m"),
        (["--provider-health-interval", "10ms"], "--provider-health-interval must be at least 100ms"),
    ])
    func badFlagsAreRefusedBeforeAnythingStarts(arguments: [String], message: String) throws {
        let run = try BuiltProducts.run("lattice-host", ["start", "--nats-url", "nats://127.0.0.1:1"] + arguments)
        #expect(run.status != 0)
        #expect(run.output.contains(message), "\(run.output)")
    }
}
