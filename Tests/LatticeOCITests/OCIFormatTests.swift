import Foundation
import LatticeOCI
import Testing

@Suite("OCI formats: challenges, credentials, manifests, artifact kinds")
struct OCIFormatTests {
    @Test func bearerAndBasicChallengesAreParsed() throws {
        let bearer = try #require(
            RegistryChallenge(
                header:
                    #"Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:team/echo:pull,push""#
            ))
        #expect(bearer.scheme == .bearer)
        #expect(bearer.realm == "https://auth.example.com/token")
        #expect(bearer.service == "registry.example.com")
        #expect(bearer.scope == "repository:team/echo:pull,push")
        let basic = try #require(RegistryChallenge(header: #"Basic realm="Registry Realm""#))
        #expect(basic.scheme == .basic)
        #expect(basic.realm == "Registry Realm")
        #expect(RegistryChallenge(header: "Negotiate abc") == nil)
        #expect(RegistryChallenge(header: "") == nil)
    }

    @Test func dockerConfigCredentialsAreReadAndNeverShown() throws {
        let auth = Data("alice:s3cret:with:colons".utf8).base64EncodedString()
        let text = """
            {"auths": {"https://Registry.Example.com:5000/v1/": {"auth": "\(auth)"},
                       "other.example.com": {"username": "bob", "password": "pw"},
                       "tokens.example.com": {"identitytoken": "tok"}}}
            """
        let credentials = try OCICredentialFormat.dockerConfig(text, source: "config.json")
        #expect(credentials["registry.example.com:5000"] == .basic(username: "alice", password: "s3cret:with:colons"))
        #expect(credentials["other.example.com"] == .basic(username: "bob", password: "pw"))
        #expect(credentials["tokens.example.com"] == .token("tok"))
        let shown = "\(credentials) \(String(reflecting: credentials)) \(credentials.values.map { "\($0)" })"
        #expect(!shown.contains("s3cret") && !shown.contains("pw\"") && !shown.contains("tok\""))
        #expect(throws: OCIError.self) { try OCICredentialFormat.dockerConfig("{}", source: "x") }
        #expect(throws: OCIError.self) {
            try OCICredentialFormat.dockerConfig(#"{"auths":{"r.io":{"auth":"!!"}}}"#, source: "x")
        }
    }

    @Test func registriesPutMergesAndIgnoresEntriesWithoutAType() throws {
        let body = """
            {"r1.example.com:5000": {"registryType": "oci", "username": "u", "password": "p"},
             "r2.example.com": {"registryType": "oci", "token": "t"},
             "r3.example.com": {"username": "ignored", "password": "ignored"}}
            """
        let entries = try OCICredentialFormat.registriesPut(Array(body.utf8))
        #expect(entries.count == 2)
        let store = OCICredentialStore(["r0.example.com": .token("old")])
        try store.merge(entries)
        #expect(store.registries == ["r0.example.com", "r1.example.com:5000", "r2.example.com"])
        #expect(store.credential(for: "R2.example.com") == .token("t"))
        #expect(throws: OCIError.self) { try OCICredentialFormat.registriesPut(Array("[1]".utf8)) }
        #expect(throws: OCIError.self) {
            try OCICredentialFormat.registriesPut(Array(#"{"r":{"registryType":"oci"}}"#.utf8))
        }
    }

    @Test func theCredentialStoreIsBounded() throws {
        let store = OCICredentialStore()
        let many = Dictionary(
            uniqueKeysWithValues: (0..<OCICredentialStore.maxRegistries).map {
                ("r\($0).example.com", OCICredential.token("t"))
            })
        try store.merge(many)
        #expect(throws: OCIError.self) { try store.merge(["one.more.example.com": .token("t")]) }
        try store.merge(["r1.example.com": .token("replaced")])
        #expect(store.credential(for: "r1.example.com") == .token("replaced"))
    }

    @Test func manifestsNameTheirOneLayerAndUnknownTypesAreRefusedByName() throws {
        let digest = OCIDigest.of([1, 2, 3])
        let config = OCIDescriptor(mediaType: OCIMediaType.actorConfig, digest: OCIDigest.of([]), size: 0)
        for type in [OCIMediaType.actorLayer, OCIMediaType.providerLayer, OCIMediaType.genericLayer] {
            let manifest = OCIManifest(
                config: config, layers: [OCIDescriptor(mediaType: type, digest: digest, size: 3)])
            let decoded = try OCIManifest.decode(manifest.encoded(), registry: "r")
            #expect(try decoded.artifactLayer(registry: "r").digest == digest)
        }
        let odd = OCIManifest(
            config: config, layers: [OCIDescriptor(mediaType: "application/x-surprise", digest: digest, size: 3)])
        do {
            _ = try odd.artifactLayer(registry: "r")
            Issue.record("an unknown layer type was accepted")
        } catch let error as OCIError {
            #expect(error.description.contains("application/x-surprise"))
        }
        #expect(throws: OCIError.self) { try OCIManifest.decode(Array("{}".utf8), registry: "r") }
    }

    @Test func artifactKindsAreDetectedFromContent() {
        #expect(OCIArtifactKind.detect(head: [0x00, 0x61, 0x73, 0x6D, 1, 0, 0, 0]) == .actorModule)
        #expect(OCIArtifactKind.detect(head: [0x1F, 0x8B, 8]) == .providerArchive)
        var tar = [UInt8](repeating: 0, count: 265)
        tar.replaceSubrange(257..<262, with: Array("ustar".utf8))
        #expect(OCIArtifactKind.detect(head: tar) == .providerArchive)
        #expect(OCIArtifactKind.detect(head: Array("#!/bin/sh".utf8)) == nil)
    }

    @Test func digestsAreSha256Only() {
        #expect(OCIDigest("sha256:" + String(repeating: "0", count: 64)) != nil)
        #expect(OCIDigest("sha256:" + String(repeating: "A", count: 64)) == nil)
        #expect(OCIDigest("sha512:" + String(repeating: "0", count: 64)) == nil)
        #expect(
            OCIDigest.of(Array("abc".utf8)).description
                == "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}
