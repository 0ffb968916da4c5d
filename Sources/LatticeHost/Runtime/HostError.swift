/// A failure the host reports to its operator in one line.
public enum HostError: Error, CustomStringConvertible, Equatable {
    case startup(String)
    case configuration(String)
    case daemon(String)

    public var description: String {
        switch self {
        case .startup(let message), .configuration(let message), .daemon(let message): return message
        }
    }
}
