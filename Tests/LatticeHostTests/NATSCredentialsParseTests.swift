import Foundation
import LatticeCrypto
import LatticeHost
import LatticeTesting
import LatticeWire
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `NATSCredentials.parse`: flags and environment into one way of authenticating, from real 0600 files.
@Suite("NATS credentials: parsing flags, environment and secret files")
struct NATSCredentialsParseTests {
    typealias Flags = NATSCredentials.Flags

    func message(_ body: () throws -> Any) -> String {
        do {
            _ = try body()
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    @Test func userTakesItsPasswordFromTheEnvironmentOrAFile() throws {
        let fromEnvironment = try NATSCredentials.parse(
            Flags(user: "audit"), environment: ["LATTICE_NATS_PASSWORD": "pw-env"])
        #expect(fromEnvironment.identity == .userPassword(user: "audit", password: "pw-env"))
        let file = try SeedFiles.write("pw-file")
        defer { unlink(file) }
        let fromFile = try NATSCredentials.parse(
            Flags(user: "audit", passwordFile: file), environment: ["LATTICE_NATS_PASSWORD": "pw-env"])
        #expect(fromFile.identity == .userPassword(user: "audit", password: "pw-file"))
        #expect(
            message { try NATSCredentials.parse(Flags(user: "audit"), environment: [:]) }
                == "--nats-user audit needs a password: set LATTICE_NATS_PASSWORD or pass --nats-password-file FILE")
    }

    @Test func oneWayToAuthenticateAndFlagsWinOverTheEnvironment() throws {
        let token = try SeedFiles.write("tok")
        defer { unlink(token) }
        #expect(
            message { try NATSCredentials.parse(Flags(user: "u", tokenFile: token), environment: [:]) }
                == "give only one way to authenticate to NATS, not --nats-user and --nats-token-file")
        let flagWins = try NATSCredentials.parse(
            Flags(tokenFile: token), environment: ["LATTICE_NATS_USER": "someone", "LATTICE_NATS_TOKEN": "env-tok"])
        #expect(flagWins.identity == .token("tok"))
        #expect(
            try NATSCredentials.parse(Flags(), environment: ["LATTICE_NATS_TOKEN": "env-tok"]).identity
                == .token("env-tok"))
        #expect(try NATSCredentials.parse(Flags(), environment: [:]).isEmpty)
    }

    @Test func secretFilesMustBePrivateAndHoldTheRightKind() throws {
        let leaky = try SeedFiles.write("pw", mode: 0o640)
        defer { unlink(leaky) }
        #expect(
            message { try NATSCredentials.parse(Flags(user: "u", passwordFile: leaky), environment: [:]) }
                .contains("--nats-password-file \(leaky) is readable by group or others (mode 640); run chmod 600"))
        let serverSeed = try SeedFiles.write(KeyPair.generate(.server).seed!)
        defer { unlink(serverSeed) }
        #expect(
            message { try NATSCredentials.parse(Flags(nkey: serverSeed), environment: [:]) }
                == "--nats-nkey \(serverSeed) does not hold a user nkey seed (SU…)")
        let user = KeyPair.generate(.user)
        let userSeed = try SeedFiles.write(user.seed!)
        defer { unlink(userSeed) }
        #expect(try NATSCredentials.parse(Flags(nkey: userSeed), environment: [:]).identity == .nkey(user))
    }

    @Test func aCredsFileGivesProvidersItsJWTAndSeed() throws {
        let user = KeyPair.generate(.user)
        let jwt = "eyJhbGciOiJlZDI1NTE5In0.eyJzdWIiOiJVIn0.c2ln"
        let creds = try SeedFiles.write(
            """
            -----BEGIN NATS USER JWT-----
            \(jwt)
            ------END NATS USER JWT------

            ************************* IMPORTANT *************************
            NKEY Seed printed below can be used to sign and prove identity.

            -----BEGIN USER NKEY SEED-----
            \(user.seed!)
            ------END USER NKEY SEED------
            """)
        defer { unlink(creds) }
        let credentials = try NATSCredentials.parse(Flags(creds: creds), environment: [:])
        #expect(credentials.identity == .userJWT(jwt: jwt, key: user))
        var hostData = HostData(
            hostID: "N", hostPID: 1, latticeRPCPrefix: "default", linkName: "default",
            latticeRPCURL: "nats://127.0.0.1:4222", providerKey: "V", instanceID: "i", clusterIssuers: [],
            invocationSeed: "")
        credentials.fill(&hostData)
        let decoded = try HostData.decodeLine(hostData.encodeLine())
        #expect(decoded.latticeRPCUserJWT == jwt)
        #expect(decoded.latticeRPCUserSeed == user.seed)
        #expect(decoded.latticeRPCTLS == false)
        #expect(decoded.latticeRPCPassword == nil)

        let notCreds = try SeedFiles.write("just some text")
        defer { unlink(notCreds) }
        #expect(
            message { try NATSCredentials.parse(Flags(creds: notCreds), environment: [:]) }
                == "--nats-creds \(notCreds) is not a NATS creds file (no user JWT block)")
    }

    @Test func providerSetAndTLSRules() throws {
        let providers = try NATSCredentials.parse(
            Flags(user: "prov"), role: .providers, environment: ["LATTICE_PROVIDER_NATS_PASSWORD": "pp"])
        #expect(providers.identity == .userPassword(user: "prov", password: "pp"))
        #expect(
            message { try NATSCredentials.parse(Flags(user: "prov"), role: .providers, environment: [:]) }
                == "--provider-nats-user prov needs a password: set LATTICE_PROVIDER_NATS_PASSWORD or pass --provider-nats-password-file FILE"
        )
        #expect(
            message { try NATSCredentials.parse(Flags(tlsCert: "/nonexistent.pem"), environment: [:]) }
                == "--tls-cert and --tls-key go together: give both for a client certificate")
        #expect(
            message { try NATSCredentials.parse(Flags(tlsCA: "/nonexistent-ca.pem"), environment: [:]) }
                == "--tls-ca /nonexistent-ca.pem: no such readable file")
    }
}
