//! A real SMTP server on loopback (mailin-embedded) that keeps every message
//! it receives, for tests that follow links from emails.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mailin_embedded::response::OK;
use mailin_embedded::{Handler, Response, Server, SslConfig};

#[derive(Clone, Default)]
struct Collector {
    received: Arc<Mutex<Vec<String>>>,
    current: Vec<u8>,
}

impl Handler for Collector {
    fn data_start(
        &mut self,
        _domain: &str,
        _from: &str,
        _is8bit: bool,
        _to: &[String],
    ) -> Response {
        self.current.clear();
        OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.current.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let message = String::from_utf8_lossy(&self.current).into_owned();
        self.received.lock().expect("sink lock").push(message);
        OK
    }
}

pub struct SmtpSink {
    pub port: u16,
    received: Arc<Mutex<Vec<String>>>,
}

impl SmtpSink {
    /// Starts the server on a free loopback port (it lives until the test
    /// process ends; each test has its own).
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind SMTP sink");
        let port = listener.local_addr().expect("sink address").port();
        let collector = Collector::default();
        let received = collector.received.clone();
        let mut server = Server::new(collector);
        server
            .with_name("sink.test")
            .with_ssl(SslConfig::None)
            .expect("plain SMTP")
            .with_num_threads(2)
            .with_tcp_listener(listener);
        std::thread::spawn(move || {
            let _ = server.serve();
        });
        Self { port, received }
    }

    /// The configuration that points Tenantry at this server.
    pub fn vars(&self) -> Vec<(&'static str, String)> {
        vec![
            ("TENANTRY_SMTP_HOST", "127.0.0.1".to_owned()),
            ("TENANTRY_SMTP_PORT", self.port.to_string()),
            ("TENANTRY_SMTP_TLS", "none".to_owned()),
        ]
    }

    /// Waits (up to 15 s) for a message to `recipient` whose text contains
    /// `needle`, and returns it.
    pub async fn wait_for(&self, recipient: &str, needle: &str) -> String {
        for _ in 0..150 {
            let found = self
                .received
                .lock()
                .expect("sink lock")
                .iter()
                .find(|m| m.contains(recipient) && m.contains(needle))
                .cloned();
            if let Some(message) = found {
                return message;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no email to {recipient} containing {needle:?} arrived at the SMTP sink");
    }

    pub fn count_to(&self, recipient: &str) -> usize {
        self.received
            .lock()
            .expect("sink lock")
            .iter()
            .filter(|m| m.contains(recipient))
            .count()
    }
}

/// The first link in a message that starts with `prefix`.
pub fn link_in(message: &str, prefix: &str) -> String {
    let start = message
        .find(prefix)
        .unwrap_or_else(|| panic!("no link starting {prefix} in:\n{message}"));
    message[start..]
        .split(|c: char| c.is_whitespace())
        .next()
        .expect("link")
        .to_owned()
}
