import IrisReplication
import NIOCore
import NIOSSL
import X509

extension IrisTLS {
    /// The identity in the certificate the peer presented on `channel`, which the handshake
    /// validated against the cluster CA. Call it once the handshake has completed (NIOSSL fires
    /// `TLSUserEvent.handshakeCompleted`); the certificate is read on the channel's event loop.
    /// - Throws: `TLSIdentityError`: `.notTLS` for a channel without NIOSSL's handler,
    ///   `.connectionClosed` for a closed one, `.noPeerCertificate` before the handshake
    ///   completed, or the certificate's identity fault.
    public static func peerIdentity(on channel: any Channel) async throws(TLSIdentityError) -> PeerIdentity {
        let certificate: NIOSSLCertificate?
        do {
            certificate = try await channel.nioSSL_peerCertificate().get()
        } catch {
            // A closed channel has lost its handlers too: say which of the two it is.
            throw channel.isActive ? .notTLS : .connectionClosed
        }
        guard let certificate else { throw .noPeerCertificate }
        let decoded: Certificate
        do {
            decoded = try Certificate(derEncoded: certificate.toDERBytes())
        } catch {
            throw .unreadableCertificate(detail: "\(error)")
        }
        return try PeerIdentity(certificate: decoded)
    }

    /// Checks that the peer on `channel` is node `expected`: the transport calls it after the
    /// handshake with the node a peer claims to be in its HELLO (or the node it dialled), and
    /// closes the connection when it throws.
    /// - Throws: `TLSIdentityError.wrongPeer` when the certificate names another node or a
    ///   client, or any error of `peerIdentity(on:)`.
    public static func requireNode(_ expected: NodeID, on channel: any Channel) async throws(TLSIdentityError) {
        let presented = try await peerIdentity(on: channel)
        guard presented == .node(expected) else { throw .wrongPeer(expected: .node(expected), presented: presented) }
    }
}
