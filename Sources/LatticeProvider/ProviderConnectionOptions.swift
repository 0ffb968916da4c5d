import LatticeCrypto
import LatticeWire
import NATSClient

/// The connection a provider makes, from whatever its host data gives (DESIGN §11).
///
/// wasmCloud's `lattice_rpc_user_jwt` and `lattice_rpc_user_seed` first (a JWT with its seed, or a bare
/// nkey seed), then the extensions `lattice_rpc_user`/`lattice_rpc_password` and `lattice_rpc_token`; TLS when
/// `lattice_rpc_tls` is set, trusting `lattice_rpc_tls_ca` and presenting `lattice_rpc_tls_cert`/`_key` if given.
extension HostData {
    func connectionOptions(name: String) throws -> NATSConnectionOptions {
        var options = NATSConnectionOptions(url: latticeRPCURL, name: name)
        if !latticeRPCUserSeed.isEmpty {
            let key: KeyPair
            do {
                key = try KeyPair(seed: latticeRPCUserSeed)
            } catch {
                throw ControlError("host data lattice_rpc_user_seed is not an nkey seed")
            }
            options.authentication =
                latticeRPCUserJWT.isEmpty
                ? .nkey(publicKey: key.publicKey, sign: { try key.sign($0) })
                : .userJWT(jwt: latticeRPCUserJWT, sign: { try key.sign($0) })
        } else if let user = latticeRPCUser, !user.isEmpty {
            options.authentication = .userPassword(user: user, password: latticeRPCPassword ?? "")
        } else if let token = latticeRPCToken, !token.isEmpty {
            options.authentication = .token(token)
        }
        if latticeRPCTLS {
            options.tls = NATSConnectionOptions.TLS(
                caCertificates: latticeRPCTLSCA, certificateChain: latticeRPCTLSCert, privateKey: latticeRPCTLSKey)
        }
        return options
    }
}
