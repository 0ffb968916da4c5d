import Foundation

/// An artifact reference `registry[:port]/repository[:tag][@sha256:hex]`, normalised as wasmCloud does
/// (DESIGN §12): lowercase, and the registry always named, so no reference silently means Docker Hub.
public struct OCIReference: Hashable, Sendable, CustomStringConvertible {
    /// `host[:port]`, as credentials and `--oci-allowed-insecure` name it.
    public let registry: String
    public let repository: String
    /// nil only when a digest pins the reference.
    public let tag: String?
    public let digest: OCIDigest?

    /// Why a text that looks like a reference is not a valid one.
    public struct ParseError: Error, CustomStringConvertible, Equatable, Sendable {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    /// Whether `text` names a registry artifact rather than a local file: a first component with a `.` or `:`,
    /// or `localhost`, followed by a repository. Paths starting with `/` or `.` are always files.
    public static func looksLikeReference(_ text: String) -> Bool {
        guard let first = text.first, first != "/", first != ".", first != "~",
            let slash = text.firstIndex(of: "/")
        else { return false }
        let registry = text[..<slash].lowercased()
        return registry.contains(".") || registry.contains(":") || registry == "localhost"
    }

    /// Parses and normalises `text`. A reference without a tag, or tagged `latest`, is refused unless
    /// `allowLatest` (a moving tag makes what runs depend on when it was pulled); a digest pins it either way.
    public init(parsing text: String, allowLatest: Bool = false) throws(ParseError) {
        let lowered = text.trimmingCharacters(in: .whitespaces).lowercased()
        guard lowered.utf8.count <= 512 else { throw ParseError("artifact reference is longer than 512 bytes") }
        guard Self.looksLikeReference(lowered), let slash = lowered.firstIndex(of: "/") else {
            throw ParseError(
                "'\(text)' is not an OCI reference: write registry[:port]/repository:tag (the registry is required)")
        }
        let registry = String(lowered[..<slash])
        try Self.validateRegistry(registry, in: text)
        var rest = String(lowered[lowered.index(after: slash)...])
        var digest: OCIDigest?
        if let at = rest.firstIndex(of: "@") {
            let digestText = String(rest[rest.index(after: at)...])
            guard let parsed = OCIDigest(digestText) else {
                throw ParseError("'\(text)': the digest must be sha256: followed by 64 hex characters")
            }
            digest = parsed
            rest = String(rest[..<at])
        }
        var tag: String?
        if let colon = rest.lastIndex(of: ":"), !rest[colon...].contains("/") {
            tag = String(rest[rest.index(after: colon)...])
            rest = String(rest[..<colon])
        }
        try Self.validateRepository(rest, in: text)
        if let tag { try Self.validateTag(tag, in: text) }
        if digest == nil, tag == nil || tag == "latest" {
            guard allowLatest else {
                throw ParseError(
                    "'\(text)' has no tag or the tag latest, refused: name a version tag or a digest (or start the host with --oci-allow-latest)"
                )
            }
            tag = "latest"
        }
        self.registry = registry
        self.repository = rest
        self.tag = tag
        self.digest = digest
    }

    /// The normalised text: `registry/repository[:tag][@sha256:hex]`.
    public var description: String {
        var text = "\(registry)/\(repository)"
        if let tag { text += ":\(tag)" }
        if let digest { text += "@\(digest)" }
        return text
    }

    /// What the manifest is fetched by: the digest when pinned, else the tag.
    public var manifestReference: String { digest?.description ?? tag ?? "latest" }

    /// The same repository at `digest`, without the tag: how a resolved artifact is named for good.
    public func pinned(to digest: OCIDigest) -> OCIReference {
        OCIReference(registry: registry, repository: repository, tag: nil, digest: digest)
    }

    /// A name safe as a file name and a KV key, and one-to-one with the normalised text: `_` is doubled and
    /// `/`, `:`, `@` become `_s`, `_c`, `_a`, so two references never share a cache entry.
    public var sanitised: String {
        var output = ""
        for character in description {
            switch character {
            case "_": output += "__"
            case "/": output += "_s"
            case ":": output += "_c"
            case "@": output += "_a"
            default: output.append(character)
            }
        }
        return output
    }

    init(registry: String, repository: String, tag: String?, digest: OCIDigest?) {
        self.registry = registry
        self.repository = repository
        self.tag = tag
        self.digest = digest
    }

    private static func validateRegistry(_ registry: String, in text: String) throws(ParseError) {
        var host = Substring(registry)
        if let colon = registry.lastIndex(of: ":") {
            let port = registry[registry.index(after: colon)...]
            guard !port.isEmpty, port.count <= 5, port.allSatisfy(\.isASCIIDigit), let number = Int(port),
                (1...65535).contains(number)
            else { throw ParseError("'\(text)': the registry port must be a number from 1 to 65535") }
            host = registry[..<colon]
        }
        guard !host.isEmpty, host.count <= 253,
            host.allSatisfy({ $0.isASCIIAlphanumeric || $0 == "." || $0 == "-" }),
            host.first?.isASCIIAlphanumeric == true, host.last?.isASCIIAlphanumeric == true
        else { throw ParseError("'\(text)': '\(registry)' is not a registry host[:port]") }
    }

    /// Path components of lowercase letters and digits, joined by single `.`, `_`, `__` or runs of `-`.
    private static func validateRepository(_ repository: String, in text: String) throws(ParseError) {
        let components = repository.split(separator: "/", omittingEmptySubsequences: false)
        guard !repository.isEmpty, repository.utf8.count <= 255 else {
            throw ParseError("'\(text)': the repository name is missing or longer than 255 characters")
        }
        for component in components {
            guard let first = component.first, let last = component.last, first.isASCIIAlphanumeric,
                last.isASCIIAlphanumeric,
                component.allSatisfy({ $0.isASCIIAlphanumeric || $0 == "." || $0 == "_" || $0 == "-" }),
                !component.contains(".."), !component.contains("___")
            else {
                throw ParseError(
                    "'\(text)': repository component '\(component)' must be lowercase letters and digits, separated by '.', '_' or '-'"
                )
            }
        }
    }

    private static func validateTag(_ tag: String, in text: String) throws(ParseError) {
        guard let first = tag.first, tag.count <= 128, first.isASCIIAlphanumeric || first == "_",
            tag.allSatisfy({ $0.isASCIIAlphanumeric || $0 == "_" || $0 == "." || $0 == "-" })
        else {
            throw ParseError("'\(text)': the tag must be up to 128 letters, digits, '_', '.' or '-'")
        }
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
    fileprivate var isASCIIAlphanumeric: Bool { isASCII && (isLetter || isNumber) }
}
