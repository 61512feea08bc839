//! Sending email: over SMTP when it is configured, otherwise into a local
//! outbox folder (one `.eml` file per message) that a dev-only page lists.
//! Services never send directly — they queue an `outbound_emails` row in
//! their own transaction and `services::email_outbox` delivers it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Body, Mailbox, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::model::access::users::OutboxEntry;

/// How the SMTP connection is secured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain text: only for a relay on the same host or network (and tests).
    None,
    /// Upgrade with STARTTLS (usually port 587).
    StartTls,
    /// TLS from the first byte (usually port 465).
    Tls,
}

impl SmtpTls {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.to_ascii_lowercase().as_str() {
            "none" | "off" | "plain" => Some(Self::None),
            "starttls" => Some(Self::StartTls),
            "tls" | "smtps" => Some(Self::Tls),
            _ => None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub username: Option<String>,
    pub password: Option<String>,
}

/// Where mail goes.
#[derive(Clone, Debug)]
pub enum MailDelivery {
    Smtp(SmtpSettings),
    /// No SMTP configured: messages are written to this folder.
    Outbox(PathBuf),
}

/// One message to deliver.
#[derive(Clone, Debug)]
pub struct OutgoingEmail {
    pub id: uuid::Uuid,
    pub recipient: String,
    pub subject: String,
    pub body: String,
}

pub struct Mailer {
    from: Mailbox,
    delivery: MailDelivery,
    smtp: Option<AsyncSmtpTransport<Tokio1Executor>>,
}

impl Mailer {
    pub fn new(from: &str, delivery: MailDelivery) -> Result<Self, String> {
        let from: Mailbox = from
            .parse()
            .map_err(|e| format!("'{from}' is not a sender address: {e}"))?;
        let smtp = match &delivery {
            MailDelivery::Outbox(_) => None,
            MailDelivery::Smtp(settings) => Some(smtp_transport(settings)?),
        };
        Ok(Self {
            from,
            delivery,
            smtp,
        })
    }

    /// The outbox folder, when mail is not sent over SMTP.
    pub fn outbox_dir(&self) -> Option<&Path> {
        match &self.delivery {
            MailDelivery::Outbox(dir) => Some(dir),
            MailDelivery::Smtp(_) => None,
        }
    }

    pub async fn send(&self, email: &OutgoingEmail) -> Result<(), String> {
        let message = self.build(email)?;
        match (&self.delivery, &self.smtp) {
            (_, Some(transport)) => transport
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| format!("SMTP delivery to {} failed: {e}", email.recipient)),
            (MailDelivery::Outbox(dir), None) => write_to_outbox(dir, email, &message).await,
            (MailDelivery::Smtp(_), None) => Err("SMTP transport missing".to_owned()),
        }
    }

    fn build(&self, email: &OutgoingEmail) -> Result<Message, String> {
        let to: Mailbox = email
            .recipient
            .parse()
            .map_err(|e| format!("'{}' is not a recipient address: {e}", email.recipient))?;
        let body = plain_body(&email.body);
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(email.subject.clone())
            .message_id(Some(format!("<{}@tenantry>", email.id)))
            .singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_PLAIN)
                    .body(body),
            )
            .map_err(|e| format!("cannot build the message: {e}"))
    }
}

/// ASCII text with lines within SMTP's 998-character limit goes as 7-bit,
/// so long links stay on one line (lettre would otherwise choose
/// quoted-printable past 76 characters and break them with soft line breaks,
/// which some clients and every test reading the raw message trip over).
fn plain_body(text: &str) -> Body {
    let fits_7bit =
        text.is_ascii() && !text.contains('\0') && text.lines().all(|line| line.len() <= 998);
    if fits_7bit {
        let crlf = text.replace("\r\n", "\n").replace('\n', "\r\n");
        Body::dangerous_pre_encoded(crlf.into_bytes(), ContentTransferEncoding::SevenBit)
    } else {
        Body::new(text.to_owned())
    }
}

fn smtp_transport(settings: &SmtpSettings) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
    let builder = match settings.tls {
        SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host),
        SmtpTls::StartTls => {
            AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&settings.host)
                .map_err(|e| format!("SMTP STARTTLS set-up for {}: {e}", settings.host))?
        }
        SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&settings.host)
            .map_err(|e| format!("SMTP TLS set-up for {}: {e}", settings.host))?,
    };
    let mut builder = builder
        .port(settings.port)
        .timeout(Some(Duration::from_secs(15)));
    if let (Some(user), Some(password)) = (&settings.username, &settings.password) {
        builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
    }
    Ok(builder.build())
}

/// Writes the message as `<time>-<id>.eml`, through a temporary name so a
/// reader never sees half a file.
async fn write_to_outbox(
    dir: &Path,
    email: &OutgoingEmail,
    message: &Message,
) -> Result<(), String> {
    tokio::fs::create_dir_all(dir)
        .await
        .map_err(|e| format!("cannot create the outbox folder {}: {e}", dir.display()))?;
    let name = format!(
        "{}-{}.eml",
        chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ"),
        email.id
    );
    let temporary = dir.join(format!(".{name}.tmp"));
    tokio::fs::write(&temporary, message.formatted())
        .await
        .map_err(|e| format!("cannot write {}: {e}", temporary.display()))?;
    tokio::fs::rename(&temporary, dir.join(&name))
        .await
        .map_err(|e| format!("cannot move {name} into the outbox: {e}"))
}

/// The newest `limit` messages in the outbox folder, newest first.
pub async fn read_outbox(dir: &Path, limit: usize) -> Result<Vec<OutboxEntry>, String> {
    let mut entries = match tokio::fs::read_dir(dir).await {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(vec![]),
        Err(e) => return Err(format!("cannot read the outbox {}: {e}", dir.display())),
    };
    let mut names = vec![];
    while let Ok(Some(entry)) = entries.next_entry().await {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".eml") && !name.starts_with('.') {
            names.push(name);
        }
    }
    // Names start with the time, so they sort chronologically.
    names.sort_unstable_by(|a, b| b.cmp(a));
    let mut messages = vec![];
    for name in names.into_iter().take(limit) {
        let raw = tokio::fs::read_to_string(dir.join(&name))
            .await
            .map_err(|e| format!("cannot read {name}: {e}"))?;
        messages.push(parse_plain_message(name, &raw));
    }
    Ok(messages)
}

/// Headers and body of a plain-text message as this module writes it.
fn parse_plain_message(file_name: String, raw: &str) -> OutboxEntry {
    let raw = raw.replace("\r\n", "\n");
    let (head, body) = raw.split_once("\n\n").unwrap_or((raw.as_str(), ""));
    let header = |name: &str| {
        head.lines()
            .find_map(|line| {
                line.split_once(':')
                    .filter(|(key, _)| key.eq_ignore_ascii_case(name))
                    .map(|(_, value)| value.trim().to_owned())
            })
            .unwrap_or_default()
    };
    OutboxEntry {
        to: header("To"),
        subject: header("Subject"),
        date: header("Date"),
        body: body.trim_end().to_owned(),
        file_name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn without_smtp_messages_land_in_the_outbox_and_read_back_intact() {
        let dir = std::env::temp_dir().join(format!("tenantry-outbox-{}", uuid::Uuid::new_v4()));
        let mailer = Mailer::new(
            "Tenantry <no-reply@tenantry.local>",
            MailDelivery::Outbox(dir.clone()),
        )
        .unwrap();
        let link = format!("http://127.0.0.1:3000/invitations/{}", "x".repeat(60));
        mailer
            .send(&OutgoingEmail {
                id: uuid::Uuid::new_v4(),
                recipient: "ops@example.com".into(),
                subject: "You are invited".into(),
                body: format!("Hello,\n\nAccept here: {link}\n"),
            })
            .await
            .unwrap();
        let messages = read_outbox(&dir, 10).await.unwrap();
        assert_eq!(messages.len(), 1);
        assert_eq!(messages[0].to, "ops@example.com");
        assert_eq!(messages[0].subject, "You are invited");
        assert!(messages[0].body.contains(&link), "{}", messages[0].body);
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn tls_modes_are_named_as_operators_write_them() {
        assert_eq!(SmtpTls::parse("STARTTLS"), Some(SmtpTls::StartTls));
        assert_eq!(SmtpTls::parse("tls"), Some(SmtpTls::Tls));
        assert_eq!(SmtpTls::parse("none"), Some(SmtpTls::None));
        assert_eq!(SmtpTls::parse("ssl3"), None);
    }
}
