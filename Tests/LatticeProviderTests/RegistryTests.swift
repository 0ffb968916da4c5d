import Foundation
import LatticeCrypto
import LatticeHost
import LatticeOCI
import LatticeTesting
import LatticeWire
import NATSClient
import Testing

@Suite("Artifacts from a real OCI registry: push, pull, start by reference, refusals, cache", .serialized)
struct RegistryTests {
    @Test func pushedArtifactsPullBackAndStartByTagAndByDigest() async throws {
        let registry = try RegistryProcess()
        let artifacts = try RegistryArtifacts.make()
        let actorRef = "\(registry.address)/tests/echo:0.1.0"
        let providerRef = "\(registry.address)/tests/test-provider:0.1.0"
        let actorPinned = try RegistryCLI.push(actorRef, artifacts.actor.path)
        let providerPinned = try RegistryCLI.push(providerRef, artifacts.archive.path)
        #expect(actorPinned.hasPrefix("\(registry.address)/tests/echo@sha256:"))

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pulled-\(UUID())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for (reference, original) in [(actorRef, artifacts.actor.path), (providerPinned, artifacts.archive.path)] {
            let pulled = try RegistryCLI.run(["pull", reference, "--insecure", "--output", "\(folder)/out"])
            #expect(pulled.status == 0, "\(pulled.output)")
            #expect(pulled.output.contains("pulled"))
            #expect(
                FileManager.default.contents(atPath: "\(folder)/out") == FileManager.default.contents(atPath: original))
        }

        let server = try NATSServerProcess(jetStream: true)
        let host = try ProviderTestHost.pulling(from: registry, server: server)
        let client = try await testClient(server)
        let events = try await Events.record(client)
        let byTag = try await host.startActor(client, actorRef)
        #expect(byTag.accepted, "\(byTag.error)")
        let started = try RegistryCLI.run([
            "start", "actor", host.hostID, actorPinned, "--nats-url", server.url,
        ])
        #expect(started.status == 0, "\(started.output)")
        let actorStarts = await events.waitFor(.actorStarted, count: 2)
        #expect(actorStarts.count == 2)
        #expect(actorStarts.allSatisfy { $0.data["public_key"]?.stringValue == artifacts.actor.key })

        let providerByDigest = try await host.startProvider(client, reference: providerPinned, contract: nil)
        #expect(providerByDigest.accepted, "\(providerByDigest.error)")
        let providerByTag = try RegistryCLI.run([
            "start", "provider", host.hostID, providerRef, "--link", "second", "--nats-url", server.url,
        ])
        #expect(providerByTag.status == 0, "\(providerByTag.output)")
        let inventory = try await host.inventory(client, waitingFor: 2)
        #expect(Set(inventory.providers.map(\.imageRef)) == [providerPinned, providerRef])
        #expect(inventory.providers.allSatisfy { $0.id == artifacts.archive.key })
        #expect(inventory.actors.first?.instances.count == 2)

        // The lattice remembers: claims of both, and the digest each reference resolved to.
        var claims: JSONValue?
        Deadline.poll(timeout: 10) {
            let listed = try? RegistryCLI.run(["get", "claims", "--nats-url", server.url])
            claims = listed.flatMap { try? JSONParser.parse(Array($0.output.utf8)) }
            return (claims?["claims"]?.arrayValue?.count ?? 0) >= 2
                && (claims?["references"]?.arrayValue?.count ?? 0) >= 4
        }
        let subjects = Set(claims?["claims"]?.arrayValue?.compactMap { $0["sub"]?.stringValue } ?? [])
        #expect(subjects == [artifacts.actor.key, artifacts.archive.key])
        let references = claims?["references"]?.arrayValue ?? []
        let tagged = references.first { $0["ref"]?.stringValue == actorRef }
        #expect(tagged?["public_key"]?.stringValue == artifacts.actor.key)
        #expect(tagged?["digest"]?.stringValue.map { actorPinned.hasSuffix($0) } == true)
        await client.close()
    }

    @Test func latestAndPlainHTTPWithoutPermissionAreRefused() async throws {
        let registry = try RegistryProcess()
        let artifacts = try RegistryArtifacts.make()
        try RegistryCLI.push("\(registry.address)/tests/echo:latest", artifacts.actor.path)
        try RegistryCLI.push("\(registry.address)/tests/echo:1", artifacts.actor.path)
        let server = try NATSServerProcess(jetStream: true)
        let strict = try ProviderTestHost.pulling(from: nil, server: server)
        let client = try await testClient(server)
        for reference in ["\(registry.address)/tests/echo:latest", "\(registry.address)/tests/echo"] {
            let ack = try await strict.startActor(client, reference)
            #expect(!ack.accepted)
            #expect(ack.error.contains("--oci-allow-latest"), "\(ack.error)")
        }
        let insecure = try await strict.startActor(client, "\(registry.address)/tests/echo:1")
        #expect(!insecure.accepted)
        #expect(insecure.error.contains(registry.address) && insecure.error.contains("--oci-allowed-insecure"))
        #expect(registry.requests("GET", "/v2/tests/echo/blobs/") == 0)

        let relaxed = try ProviderTestHost.pulling(
            from: registry, server: server, extraArguments: ["--oci-allow-latest"])
        let ack = try await relaxed.startActor(client, "\(registry.address)/tests/echo")
        #expect(ack.accepted, "\(ack.error)")
        await client.close()
    }

    @Test func pulledArtifactsFollowTrustedIssuersAndTheSizeBound() async throws {
        let registry = try RegistryProcess()
        let artifacts = try RegistryArtifacts.make()
        let reference = "\(registry.address)/tests/echo:1"
        try RegistryCLI.push(reference, artifacts.actor.path)
        let server = try NATSServerProcess(jetStream: true)
        let client = try await testClient(server)
        let stranger = KeyPair.generate(.account).publicKey
        let picky = try ProviderTestHost.pulling(
            from: registry, server: server, extraArguments: ["--trusted-issuers", stranger])
        let untrusted = try await picky.startActor(client, reference)
        #expect(!untrusted.accepted)
        #expect(untrusted.error.contains("is not trusted by this host"), "\(untrusted.error)")

        let small = try ProviderTestHost.pulling(
            from: registry, server: server, extraArguments: ["--max-artifact-size", "1KiB"])
        let large = try await small.startActor(client, reference)
        #expect(!large.accepted)
        #expect(large.error.contains("--max-artifact-size"), "\(large.error)")
        #expect(
            registry.requests(
                "GET", "/v2/tests/echo/blobs/sha256:\(try RegistryArtifacts.layerHex(artifacts.actor.path))") == 1)
        await client.close()
    }

    @Test func wrongCredentialsGiveOneLineNamingTheRegistryAnd401() async throws {
        let registry = try RegistryProcess(basicAuth: ("operator", "right-password"))
        let artifacts = try RegistryArtifacts.make()
        let reference = "\(registry.address)/tests/echo:1"
        let good = try dockerConfig(registry: registry.address, user: "operator", password: "right-password")
        let bad = try dockerConfig(registry: registry.address, user: "operator", password: "wrong-password")
        defer { for file in [good, bad] { try? FileManager.default.removeItem(atPath: file) } }

        let anonymous = try RegistryCLI.run(["push", reference, artifacts.actor.path, "--insecure"])
        #expect(anonymous.status != 0)
        #expect(anonymous.output.contains(registry.address) && anonymous.output.contains("401"))
        try RegistryCLI.push(reference, artifacts.actor.path, ["--insecure", "--credentials", good])

        let server = try NATSServerProcess(jetStream: true)
        let host = try ProviderTestHost.pulling(
            from: registry, server: server, extraArguments: ["--oci-credentials", bad])
        let client = try await testClient(server)
        let refused = try await host.startActor(client, reference)
        #expect(!refused.accepted)
        #expect(refused.error.contains("registry \(registry.address)") && refused.error.contains("401"))
        #expect(!refused.error.contains("\n"))
        #expect(!host.process.output.contains("wrong-password"))

        // registries.put replaces the host's credentials at run time; the ack carries no secret.
        let put =
            #"{"\#(registry.address)": {"registryType": "oci", "username": "operator", "password": "right-password"}}"#
        let reply = try await client.request(Array(put.utf8), to: Subjects().registriesPut, timeout: .seconds(5))
        let putAck = try ControlDecoding.decode(CommandAck.self, from: reply.payload)
        #expect(putAck.accepted, "\(putAck.error)")
        let accepted = try await host.startActor(client, reference)
        #expect(accepted.accepted, "\(accepted.error)")
        #expect(!host.process.output.contains("right-password"))
        await client.close()
    }

    @Test func bearerTokensAreFetchedFromTheRealmTheRegistryNames() async throws {
        let tokens = try TokenService(user: "operator", password: "token-password")
        let registry = try RegistryProcess(tokenAuth: tokens.registryAuth)
        let artifacts = try RegistryArtifacts.make()
        let reference = "\(registry.address)/tests/echo:1"
        let good = try dockerConfig(registry: registry.address, user: "operator", password: "token-password")
        let bad = try dockerConfig(registry: registry.address, user: "operator", password: "wrong-password")
        defer { for file in [good, bad] { try? FileManager.default.removeItem(atPath: file) } }
        try RegistryCLI.push(reference, artifacts.actor.path, ["--insecure", "--credentials", good])

        let server = try NATSServerProcess(jetStream: true)
        let client = try await testClient(server)
        let wrong = try ProviderTestHost.pulling(
            from: registry, server: server, extraArguments: ["--oci-credentials", bad])
        let refused = try await wrong.startActor(client, reference)
        #expect(!refused.accepted)
        #expect(refused.error.contains(registry.address) && refused.error.contains("401"), "\(refused.error)")

        let right = try ProviderTestHost.pulling(
            from: registry, server: server, extraArguments: ["--oci-credentials", good])
        let events = try await Events.record(client)
        let accepted = try await right.startActor(client, reference)
        #expect(accepted.accepted, "\(accepted.error)")
        #expect(await events.waitFor(.actorStarted).first?.data["public_key"]?.stringValue == artifacts.actor.key)
        #expect(tokens.process.output.contains("scope=repository:tests/echo:pull HTTP/1.1\" 200"))
        await client.close()
    }

    @Test func aBlobTamperedWithOnTheRegistryIsRefusedAndNothingIsCached() async throws {
        let registry = try RegistryProcess()
        let artifacts = try RegistryArtifacts.make()
        let reference = "\(registry.address)/tests/echo:1"
        try RegistryCLI.push(reference, artifacts.actor.path)
        let blob = registry.blobFile(try RegistryArtifacts.layerHex(artifacts.actor.path))
        var bytes = [UInt8](try Data(contentsOf: blob))
        bytes[bytes.count / 2] ^= 0x01
        try Data(bytes).write(to: blob)

        let server = try NATSServerProcess(jetStream: true)
        let host = try ProviderTestHost.pulling(from: registry, server: server)
        let client = try await testClient(server)
        let events = try await Events.record(client)
        let ack = try await host.startActor(client, reference)
        #expect(!ack.accepted)
        #expect(ack.error.contains("digest mismatch"), "\(ack.error)")
        #expect(await events.waitFor(.actorStartFailed).count == 1)
        #expect(events.of(.actorStarted).isEmpty)
        let cached = host.cachedFiles()
        #expect(!cached.contains { $0.hasSuffix(try! RegistryArtifacts.layerHex(artifacts.actor.path)) })
        #expect(!cached.contains { $0.contains(".tmp-") })
        #expect(!cached.contains { $0.hasPrefix("refs/") })
        await client.close()
    }

    @Test func theCacheServesWhenTheRegistryIsGoneAndAMovedTagIsPulledAgain() async throws {
        let registry = try RegistryProcess()
        let echo = try RegistryArtifacts.make(actor: "echo")
        let reference = "\(registry.address)/tests/app:1"
        try RegistryCLI.push(reference, echo.actor.path)
        let server = try NATSServerProcess(jetStream: true)
        let host = try ProviderTestHost.pulling(from: registry, server: server)
        let client = try await testClient(server)
        let events = try await Events.record(client)
        #expect(try await host.startActor(client, reference).accepted)

        // The tag moves to another module: the next start pulls the new digest.
        let hello = try signedActor("hello", caps: ["wasmcloud:httpserver"])
        try RegistryCLI.push(reference, hello.path)
        let moved = try await host.startActor(client, reference)
        #expect(moved.accepted, "\(moved.error)")
        let keys = await events.waitFor(.actorStarted, count: 2).compactMap { $0.data["public_key"]?.stringValue }
        #expect(keys == [echo.actor.key, hello.key])
        #expect(
            registry.requests("GET", "/v2/tests/app/blobs/sha256:\(try RegistryArtifacts.layerHex(hello.path))") == 1)

        // The registry goes away: the tag starts from the digest it last resolved to, and the log says so.
        registry.stop()
        let cached = try await host.startActor(client, reference)
        #expect(cached.accepted, "\(cached.error)")
        let again = await events.waitFor(.actorStarted, count: 3).compactMap { $0.data["public_key"]?.stringValue }
        #expect(again.last == hello.key)
        #expect(host.process.waitForOutput("from the cache", timeout: 5))
        await client.close()
    }

    @Test func tenConcurrentStartsOfOneReferencePullOnce() async throws {
        let registry = try RegistryProcess()
        let artifacts = try RegistryArtifacts.make()
        let reference = "\(registry.address)/tests/echo:1"
        try RegistryCLI.push(reference, artifacts.actor.path)
        let layer = try RegistryArtifacts.layerHex(artifacts.actor.path)
        let server = try NATSServerProcess(jetStream: true)
        let host = try ProviderTestHost.pulling(from: registry, server: server)
        let client = try await testClient(server)
        let acks = try await withThrowingTaskGroup(of: CommandAck.self) { group in
            for _ in 0..<10 { group.addTask { try await host.startActor(client, reference) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let refused = acks.filter { !$0.accepted }.map(\.error)
        #expect(acks.count == 10 && refused.isEmpty, "\(refused)")
        #expect(registry.requests("GET", "/v2/tests/echo/blobs/sha256:\(layer)") == 1)
        #expect(try await host.inventory(client).actors.first?.instances.count == 10)

        // The same content under another tag is not downloaded again.
        try RegistryCLI.push("\(registry.address)/tests/echo:2", artifacts.actor.path)
        #expect(try await host.startActor(client, "\(registry.address)/tests/echo:2").accepted)
        #expect(registry.requests("GET", "/v2/tests/echo/blobs/sha256:\(layer)") == 1)
        await client.close()
    }

    @Test func anActorPushedThroughTheRawRegistryAPIStarts() async throws {
        let registry = try RegistryProcess()
        let artifacts = try RegistryArtifacts.make()
        let reference = "\(registry.address)/interop/echo:0.3.7"
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/interop/oci_push.py").path
        let push = try ManagedProcess(
            "/usr/bin/env", ["python3", script, registry.address, "interop/echo", "0.3.7", artifacts.actor.path])
        #expect(push.waitForExit(timeout: 60) == 0, "\(push.output)")

        let server = try NATSServerProcess(jetStream: true)
        let host = try ProviderTestHost.pulling(from: registry, server: server)
        let client = try await testClient(server)
        let events = try await Events.record(client)
        let ack = try await host.startActor(client, reference)
        #expect(ack.accepted, "\(ack.error)")
        #expect(await events.waitFor(.actorStarted).first?.data["public_key"]?.stringValue == artifacts.actor.key)
        #expect(try await host.inventory(client).actors.first?.imageRef == reference)
        await client.close()
    }

    /// The figure issue 13 asks for: `lattice start provider HOST REF` to `provider_started` for the httpserver
    /// archive, cold (pulled) and then warm (from the cache, the blob not downloaded again).
    @Test func theHTTPServerArchiveStartsColdThenWarmFromTheCache() async throws {
        let registry = try RegistryProcess()
        let archive = try RegistryArtifacts.archive(
            of: "httpserver-provider", contract: "wasmcloud:httpserver", name: "httpserver")
        let (path, key) = (archive.path, archive.key)
        let reference = "\(registry.address)/tests/httpserver:1"
        try RegistryCLI.push(reference, path)
        let layer = try RegistryArtifacts.layerHex(path)
        let server = try NATSServerProcess(jetStream: true)
        let host = try ProviderTestHost.pulling(from: registry, server: server)
        let client = try await testClient(server)
        let events = try await Events.record(client)

        var figures: [Duration] = []
        for round in 1...2 {
            let started = ContinuousClock.now
            let start = try RegistryCLI.run(
                ["start", "provider", host.hostID, reference, "--link", "default", "--nats-url", server.url])
            #expect(start.status == 0, "\(start.output)")
            let ready = await events.waitFor(.providerStarted, count: round, timeout: 60)
            #expect(ready.count == round)
            figures.append(ContinuousClock.now - started)
            #expect(ready.last?.data["public_key"]?.stringValue == key)
            if round == 1 {
                let stop = try RegistryCLI.run(
                    ["stop", "provider", host.hostID, key, "--link", "default", "--nats-url", server.url])
                #expect(stop.status == 0, "\(stop.output)")
                #expect(await events.waitFor(.providerStopped, timeout: 20).count == 1)
                #expect(
                    await Deadline.eventually(timeout: 10) {
                        (try? await host.inventory(client).providers.isEmpty) == true
                    })
            }
        }
        #expect(registry.requests("GET", "/v2/tests/httpserver/blobs/sha256:\(layer)") == 1)
        print(
            "httpserver PAR: binary \(archive.binaryBytes) bytes, archive \(archive.archiveBytes) bytes (gzip);"
                + " start → provider_started cold \(figures[0]), warm \(figures[1])")
        await client.close()
    }
}
