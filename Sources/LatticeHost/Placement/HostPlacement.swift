import LatticeWire

/// Labels, cordon, auctions, scale and live update (DESIGN §13), as the control interface hands them to the host.
extension Host {
    /// The reference as this host would record it, or nil when its policy would refuse to load it (a path
    /// without `--allow-file-load`, `:latest` without `--oci-allow-latest`…): a host bids only for what it can run.
    private func loadableReference(_ reference: String) -> String? {
        switch try? configuration.artifactPolicy.source(of: reference) {
        case .registry(let oci): return oci.description
        case .file(let path): return path
        case nil: return nil
        }
    }

    /// A bid when this host satisfies every constraint, is not cordoned and can load the reference.
    func bid(_ request: ActorAuctionRequest) async -> ActorAuctionBid? {
        guard await state.acceptingCommands, await !state.cordoned,
            HostLabelRules.satisfies(await state.labels, request.constraints),
            loadableReference(request.actorRef) != nil
        else { return nil }
        return ActorAuctionBid(
            actorRef: request.actorRef, constraints: request.constraints, hostID: identity.hostID,
            load: await state.load)
    }

    /// As for actors; a host that already runs this reference under this link name does not bid either.
    func bid(_ request: ProviderAuctionRequest) async -> ProviderAuctionBid? {
        guard await state.acceptingCommands, await !state.cordoned,
            HostLabelRules.satisfies(await state.labels, request.constraints),
            let reference = loadableReference(request.providerRef)
        else { return nil }
        let alreadyRunning = await state.providerList().contains {
            $0.linkName == request.linkName && ($0.imageRef == reference || $0.id == request.providerRef)
        }
        guard !alreadyRunning else { return nil }
        return ProviderAuctionBid(
            providerRef: request.providerRef, linkName: request.linkName, constraints: request.constraints,
            hostID: identity.hostID, load: await state.load)
    }

    /// `cordon` and `uncordon`: a heartbeat follows at once, so watchers see the change without waiting.
    func setCordoned(_ cordoned: Bool) async -> CommandAck {
        await state.setCordoned(cordoned)
        logger.notice(cordoned ? "host cordoned: no new work, no bids" : "host uncordoned")
        await publishHeartbeat()
        return .accepted
    }

    /// `labels.{host}.put|del`; each change publishes `labels_changed`.
    func changeLabel(_ command: ControlCommand, body: [UInt8]) async throws -> CommandAck {
        // A body that does not decode is an invalid command; a label the host will not change is said as it is.
        let (key, value): (String, String?)
        if command == .labelPut {
            let put = try ControlDecoding.decode(LabelPutCommand.self, from: body).validated()
            (key, value) = (put.key, put.value)
        } else {
            (key, value) = (try ControlDecoding.decode(LabelDeleteCommand.self, from: body).validated().key, nil)
        }
        do {
            let labels = try await state.changeLabel(key: key, value: value)
            events.publish(.labelsChanged, LabelsChangedData(labels: labels))
            return .accepted
        } catch let refusal as ControlError {
            return .rejected(refusal.message)
        }
    }

    /// `scale`: checked here, acknowledged at once, carried out after; its failure is an `actor_start_failed`.
    func scale(body: [UInt8]) async throws -> CommandAck {
        let command = try ControlDecoding.decode(ScaleActorCommand.self, from: body).validated()
        if await state.cordoned, command.count > (await actors.instanceCount(of: command.actorID)) {
            return .rejected("host is cordoned")
        }
        Task {
            do {
                try await actors.scale(command)
            } catch {
                logger.warning("scale of \(command.actorID) to \(command.count) failed: \(error)")
            }
        }
        return .accepted
    }

    /// `upd`: answered once the new module serves, or refused with wasmCloud's wording.
    func update(body: [UInt8]) async -> CommandAck {
        do {
            let command = try ControlDecoding.decode(UpdateActorCommand.self, from: body).validated()
            try await actors.update(command)
            return .accepted
        } catch let refusal as ArtifactRefusal {
            if let detail = refusal.detail { logger.warning("upd refused: \(refusal): \(detail)") }
            return .rejected("Unable to perform live update: \(refusal.description)")
        } catch {
            return .rejected("Unable to perform live update: \(error)")
        }
    }
}
