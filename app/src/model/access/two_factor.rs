//! What crosses the wire for two factor: the forms, queries and views shared by the
//! server functions, the REST handlers, the services and the pages.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A secret being set up, shown until confirmed with a code from the app.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enrollment {
    /// Base32, for typing into an authenticator by hand.
    pub secret: String,
    pub otpauth_url: String,
    /// The `otpauth://` URL as an SVG QR code (drawn on the server).
    pub qr_svg: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TwoFactorView {
    pub enabled_at: Option<DateTime<Utc>>,
    pub recovery_codes_left: u64,
    pub enrollment: Option<Enrollment>,
    /// Recovery codes just created: shown on this view only.
    pub new_recovery_codes: Option<Vec<String>>,
}
