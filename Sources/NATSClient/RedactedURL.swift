/// NATS URLs with their userinfo hidden, for every place a URL is printed, logged or stored.
///
/// `nats://user:secret@host:4222` becomes `nats://***@host:4222`; a list keeps its commas. A URL without
/// userinfo is returned as it is, so operators still see where a client connects.
public enum RedactedURL {
    public static func redact(_ urls: String) -> String {
        urls.split(separator: ",", omittingEmptySubsequences: false).map { redactOne(String($0)) }.joined(
            separator: ",")
    }

    private static func redactOne(_ url: String) -> String {
        let schemeEnd = url.firstRange(of: "://")
        let authorityStart = schemeEnd?.upperBound ?? url.startIndex
        let rest = url[authorityStart...]
        let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        guard let at = rest[..<authorityEnd].lastIndex(of: "@") else { return url }
        return String(url[..<authorityStart]) + "***" + String(url[at...])
    }
}
