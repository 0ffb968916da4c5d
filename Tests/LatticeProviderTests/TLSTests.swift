import Foundation
import LatticeTesting
import LatticeWire
import NATSClient
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A throwaway PKI made with `openssl`: a CA, a server certificate for 127.0.0.1, a client certificate,
/// and a second CA that signed nothing here.
struct TestPKI {
    let directory: String
    var ca: String { directory + "/ca.pem" }
    var otherCA: String { directory + "/other-ca.pem" }
    var serverCertificate: String { directory + "/server.pem" }
    var serverKey: String { directory + "/server.key" }
    var clientCertificate: String { directory + "/client.pem" }
    var clientKey: String { directory + "/client.key" }

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("pki-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try Self.openssl(
            ["req", "-x509"] + key + [
                "-keyout", "\(directory)/ca.key", "-out", ca, "-days", "1", "-subj", "/CN=lattice test CA",
            ])
        try Self.openssl(
            ["req", "-x509"] + key + [
                "-keyout", "\(directory)/other-ca.key", "-out", otherCA, "-days", "1", "-subj", "/CN=some other CA",
            ])
        try "subjectAltName=IP:127.0.0.1\n".write(toFile: "\(directory)/server.ext", atomically: true, encoding: .utf8)
        try "extendedKeyUsage=clientAuth\n".write(toFile: "\(directory)/client.ext", atomically: true, encoding: .utf8)
        for (name, subject) in [("server", "/CN=127.0.0.1"), ("client", "/CN=lattice client")] {
            try Self.openssl(
                ["req"] + key + [
                    "-keyout", "\(directory)/\(name).key", "-out", "\(directory)/\(name).csr", "-subj", subject,
                ])
            try Self.openssl([
                "x509", "-req", "-in", "\(directory)/\(name).csr", "-CA", ca, "-CAkey", "\(directory)/ca.key",
                "-CAcreateserial", "-out", "\(directory)/\(name).pem", "-days", "1", "-extfile",
                "\(directory)/\(name).ext",
            ])
            chmod("\(directory)/\(name).key", 0o600)
        }
    }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }

    private static func openssl(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TestSupportError("openssl \(arguments.joined(separator: " ")) failed")
        }
    }
}

/// TLS end to end, with a server that verifies clients (`tls { verify: true }`).
@Suite("TLS: host, provider and CLI on a server that verifies clients", .serialized)
struct TLSTests {
    @Test func hostProviderAndCLIWorkOverTLSAndAWrongCAIsOneClearLine() async throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        let server = try NATSServerProcess(
            configuration: """
                tls {
                  cert_file: "\(pki.serverCertificate)"
                  key_file: "\(pki.serverKey)"
                  ca_file: "\(pki.ca)"
                  verify: true
                }
                """)
        let tlsFlags = ["--tls-ca", pki.ca, "--tls-cert", pki.clientCertificate, "--tls-key", pki.clientKey]
        let host = try ProviderTestHost(natsURL: server.url, extraArguments: tlsFlags)
        var options = NATSConnectionOptions(url: server.url, name: "test-ops")
        options.tls = NATSConnectionOptions.TLS(
            caFile: pki.ca, certificateFile: pki.clientCertificate, keyFile: pki.clientKey)
        let client = try await NATSConnection.connect(options)
        // The provider only connects if its host data carried the CA, the client certificate and its key.
        let provider = try await host.startTestProvider(client)
        #expect(ProcFiles.secretNames(ProcFiles.environment(provider.pid)).isEmpty)

        let inventory = try BuiltProducts.run(
            "lattice", ["get", "inventory", host.hostID, "--nats-url", server.url],
            environment: [
                "LATTICE_TLS_CA": pki.ca, "LATTICE_TLS_CERT": pki.clientCertificate, "LATTICE_TLS_KEY": pki.clientKey,
            ])
        #expect(inventory.status == 0, "\(inventory.output)")
        #expect(inventory.output.contains(provider.key))

        let wrongCA = try BuiltProducts.run(
            "lattice",
            [
                "get", "hosts", "--nats-url", server.url, "--tls-ca", pki.otherCA, "--tls-cert", pki.clientCertificate,
                "--tls-key", pki.clientKey,
            ])
        #expect(wrongCA.status != 0)
        #expect(
            wrongCA.output.trimmingCharacters(in: .whitespacesAndNewlines)
                == "lattice: TLS to NATS at \(server.url) failed: the server's certificate is not signed by a trusted CA (unable to get local issuer certificate); pass the CA that signed it with --tls-ca"
        )
        let hostWrongCA = try BuiltProducts.run(
            "lattice-host",
            ["start", "--nats-url", server.url, "--cache-dir", host.cacheDirectory + "-wrong", "--tls-ca", pki.otherCA])
        try? FileManager.default.removeItem(atPath: host.cacheDirectory + "-wrong")
        #expect(hostWrongCA.status != 0)
        #expect(hostWrongCA.output.contains("the server's certificate is not signed by a trusted CA"))

        await client.close()
        host.process.send(SIGTERM)
        #expect(host.process.waitForExit(timeout: 15) == 0)
        #expect(host.process.output.contains("provider ready"))
        let keyText = try String(contentsOfFile: pki.clientKey, encoding: .utf8)
        let keyBody = keyText.split(separator: "\n").dropFirst().first.map(String.init) ?? keyText
        #expect(!host.process.output.contains(keyBody), "the client key reached the host log")
    }
}
