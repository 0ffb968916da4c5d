// The `wasmcloud:httpserver` capability provider: one HTTP listener per linked actor, each request
// sent to that actor as a signed `HttpServer.HandleRequest` invocation.
import HTTPServerCapability
import LatticeProvider
import LatticeWire

#if canImport(Glibc)
    import Glibc
#endif

/// Listeners by actor key, created and removed as links come and go.
actor HTTPServerProvider: CapabilityProvider {
    static let contract = "wasmcloud:httpserver"
    private var listeners: [String: HTTPListener] = [:]

    nonisolated func handle(_ invocation: Invocation, context: ProviderContext) async throws -> [UInt8] {
        throw ProviderError("the httpserver provider takes no invocations (got \(invocation.operation))")
    }

    func linkAdded(_ link: LinkDefinition, context: ProviderContext) async {
        guard link.providerID.isEmpty || link.providerID == context.hostData.providerKey, listeners[link.actorID] == nil
        else { return }
        let address = link.values["ADDRESS"] ?? link.values["address"] ?? "127.0.0.1"
        guard let port = Int(link.values["PORT"] ?? link.values["port"] ?? "8080"), (0...65_535).contains(port) else {
            context.logger.error("link for actor \(link.actorID) has an invalid PORT '\(link.values["PORT"] ?? "")'")
            return
        }
        let actor = link.actorID
        do {
            let listener = try await HTTPListener.start(host: address, port: port, logger: context.logger) {
                request, respond in
                Self.forward(request, to: actor, context: context, respond: respond)
            }
            listeners[actor] = listener
            context.logger.info("serving http://\(address):\(listener.port)/ for actor \(actor)")
        } catch let error as PortInUseError {
            context.logger.critical("\(error.description)")
            fflush(nil)
            exit(3)
        } catch {
            context.logger.error("cannot listen on \(address):\(port) for actor \(actor): \(error)")
        }
    }

    func linkRemoved(_ link: LinkDefinition, context: ProviderContext) async {
        await listeners.removeValue(forKey: link.actorID)?.stop()
    }

    func shutdown() async {
        for listener in listeners.values { await listener.stop() }
        listeners = [:]
    }

    /// Sends the request to the actor and answers with its reply, from the thread the reply arrives on; failures
    /// become 5xx answers, never a hung client.
    static func forward(
        _ request: HttpRequest, to actor: String, context: ProviderContext,
        respond: @escaping @Sendable (HttpResponse) -> Void
    ) {
        context.invokeActor(actor, operation: "HttpServer.HandleRequest", message: request.encode()) { reply in
            do {
                respond(try HttpResponse.decode(try reply.get()))
            } catch let error as ProviderError {
                respond(.error(status: 503, message: "actor \(actor) refused the request: \(error.description)"))
            } catch {
                respond(.error(status: 502, message: "no answer from actor \(actor): \(error)"))
            }
        }
    }
}

await ProviderRunner.run(HTTPServerProvider(), label: "httpserver-provider")
