//! TLS in front of a loopback receiver, for certificate tests: a throwaway CA, a server
//! certificate for 127.0.0.1 signed by it, a client certificate for mutual TLS, and a
//! proxy that terminates TLS (optionally demanding a client certificate) and passes the
//! plain bytes to the receiver.
//!
//! Like the receiver it listens on 127.0.0.1 only and stops when dropped.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

/// PEM texts of a CA and the server and client certificates it signed.
pub struct TestCertificates {
    /// The CA certificate, to trust.
    pub ca_pem: String,
    /// The server's certificate (for 127.0.0.1 and localhost) and key.
    pub server_certificate_pem: String,
    /// The server's private key.
    pub server_key_pem: String,
    /// A client certificate for mutual TLS.
    pub client_certificate_pem: String,
    /// The client certificate's private key.
    pub client_key_pem: String,
}

impl TestCertificates {
    /// A fresh CA with a server and a client certificate.
    pub fn generate() -> Result<TestCertificates, rcgen::Error> {
        let ca_key = KeyPair::generate()?;
        let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca = ca_params.self_signed(&ca_key)?;
        let issuer = Issuer::new(ca_params, ca_key);

        let server_key = KeyPair::generate()?;
        let server = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])?
            .signed_by(&server_key, &issuer)?;
        let client_key = KeyPair::generate()?;
        let client =
            CertificateParams::new(vec!["client".to_owned()])?.signed_by(&client_key, &issuer)?;
        Ok(TestCertificates {
            ca_pem: ca.pem(),
            server_certificate_pem: server.pem(),
            server_key_pem: server_key.serialize_pem(),
            client_certificate_pem: client.pem(),
            client_key_pem: client_key.serialize_pem(),
        })
    }
}

/// How the TLS front treats clients.
#[derive(Clone, Copy, Debug, Default)]
pub struct TlsFrontOptions {
    /// Refuse handshakes without a client certificate signed by the test CA.
    pub require_client_certificate: bool,
    /// Offer HTTP/2 by ALPN (for gRPC), else HTTP/1.1.
    pub http2: bool,
}

/// A running TLS-terminating proxy to a plain loopback server.
pub struct TlsFront {
    addr: SocketAddr,
    handshakes: Arc<Handshakes>,
    server: JoinHandle<()>,
}

#[derive(Default)]
struct Handshakes {
    completed: AtomicU64,
    failed: AtomicU64,
}

impl Drop for TlsFront {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl TlsFront {
    /// Listens on a free loopback port, presenting the server certificate of
    /// `certificates`, and forwards each connection to `backend`.
    pub async fn start(
        backend: SocketAddr,
        certificates: &TestCertificates,
        options: TlsFrontOptions,
    ) -> Result<TlsFront, Box<dyn std::error::Error + Send + Sync>> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ServerConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()?;
        let builder = if options.require_client_certificate {
            let mut roots = rustls::RootCertStore::empty();
            roots.add(CertificateDer::from_pem_slice(
                certificates.ca_pem.as_bytes(),
            )?)?;
            let verifier =
                rustls::server::WebPkiClientVerifier::builder_with_provider(roots.into(), provider)
                    .build()?;
            builder.with_client_cert_verifier(verifier)
        } else {
            builder.with_no_client_auth()
        };
        let chain = vec![CertificateDer::from_pem_slice(
            certificates.server_certificate_pem.as_bytes(),
        )?];
        let key = PrivateKeyDer::from_pem_slice(certificates.server_key_pem.as_bytes())?;
        let mut config = builder.with_single_cert(chain, key)?;
        config.alpn_protocols = if options.http2 {
            vec![b"h2".to_vec()]
        } else {
            vec![b"http/1.1".to_vec()]
        };
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let handshakes = Arc::new(Handshakes::default());
        let server = tokio::spawn(serve(
            listener,
            TlsAcceptor::from(Arc::new(config)),
            backend,
            Arc::clone(&handshakes),
        ));
        Ok(TlsFront {
            addr,
            handshakes,
            server,
        })
    }

    /// Its address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Handshakes that completed so far.
    pub fn completed_handshakes(&self) -> u64 {
        self.handshakes.completed.load(Ordering::SeqCst)
    }

    /// Handshakes that failed so far (each failed attempt of a client).
    pub fn failed_handshakes(&self) -> u64 {
        self.handshakes.failed.load(Ordering::SeqCst)
    }
}

async fn serve(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    backend: SocketAddr,
    handshakes: Arc<Handshakes>,
) {
    let mut connections = tokio::task::JoinSet::new();
    while let Ok((stream, _)) = listener.accept().await {
        while connections.try_join_next().is_some() {}
        let (acceptor, handshakes) = (acceptor.clone(), Arc::clone(&handshakes));
        connections.spawn(async move {
            let mut tls = match acceptor.accept(stream).await {
                Ok(tls) => tls,
                Err(_) => {
                    handshakes.failed.fetch_add(1, Ordering::SeqCst);
                    return;
                }
            };
            handshakes.completed.fetch_add(1, Ordering::SeqCst);
            if let Ok(mut plain) = TcpStream::connect(backend).await {
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            }
        });
    }
}
