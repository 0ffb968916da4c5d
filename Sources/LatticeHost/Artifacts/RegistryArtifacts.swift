import Foundation
import LatticeCrypto
import LatticeOCI
import LatticeWire
import NATSClient

extension Host {
    /// The verified file a registry reference resolves to; a registry's refusal becomes the command's.
    func pull(_ reference: OCIReference) async throws -> PulledArtifact {
        do {
            return try await artifacts.pull(reference)
        } catch let error as OCIError {
            throw ArtifactRefusal(error.description)
        }
    }

    /// Records what a start resolved in `LATTICEDATA_{lattice}` (DESIGN §12): `CLAIMS_{key}` and, for a
    /// registry artifact, `REFMAP_{sanitised ref}`. In the background: the start does not wait on JetStream,
    /// and a failure is only logged.
    func recordStart(publicKey: String, claims: JSONValue, pulled: PulledArtifact?) {
        Task {
            do {
                try await links.putData("CLAIMS_\(publicKey)", Array(claims.jsonText.utf8))
                if let pulled {
                    let entry = JSONValue.object([
                        "ref": .string(pulled.reference.description), "public_key": .string(publicKey),
                        "digest": .string(pulled.digest.description),
                    ])
                    try await links.putData("REFMAP_\(pulled.reference.sanitised)", Array(entry.jsonText.utf8))
                }
            } catch {
                logger.warning("could not record the claims of \(publicKey) in the lattice data bucket: \(error)")
            }
        }
    }

    /// Merges `registries.put` credentials; the ack names how many registries, never a secret.
    func applyRegistryCredentials(_ body: [UInt8]) -> CommandAck {
        do {
            let entries = try OCICredentialFormat.registriesPut(body)
            try registryCredentials.merge(entries)
            logger.info(
                "registries.put: credentials for \(entries.keys.sorted().joined(separator: ", ")) merged (\(entries.count) registries)"
            )
            return .accepted
        } catch let error as OCIError {
            return .rejected(error.description)
        } catch {
            return .rejected("invalid registries.put: \(error)")
        }
    }
}
