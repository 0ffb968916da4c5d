import Foundation
import LatticeWire

/// The interactive prompt of `lattice-host console`; it also reads commands piped on stdin.
struct Console {
    let host: Host

    static let help = """
        commands:
          inventory   list the actors and providers on this host
          purge       stop every actor and provider, keep the host running
          stop        stop the host gracefully
          help        show this list
        """

    func run() async {
        prompt()
        for await line in LineReader.lines() {
            let command = line.trimmingCharacters(in: .whitespaces).lowercased()
            switch command {
            case "":
                break
            case "inventory", "inv":
                let inventory = await host.inventory()
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                let text = (try? encoder.encode(inventory)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
                print(text)
            case "purge":
                let report = await host.purge()
                print("purged \(report.providers) providers and \(report.actors) actors")
            case "stop", "quit", "exit":
                print("stopping host \(host.identity.hostID)")
                _ = await host.stop(trigger: .console)
                return
            case "help", "?":
                print(Self.help)
            default:
                print("unknown command '\(command)'; type help")
            }
            prompt()
        }
        print("console input ended: stopping host")
        _ = await host.stop(trigger: .console)
    }

    private func prompt() {
        print("lattice> ", terminator: "")
        fflush(nil)
    }
}
