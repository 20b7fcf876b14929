//! The scan to login: the `scan` statuses a login goes through (wechaty-puppet's `ScanStatus`: Waiting → Scanned →
//! Confirmed → the `login` event), as one history that both the connection walk (a run that never logs in ends with
//! it in its setup error) and the state judge (`engine::field::states`, rule `confirmed-without-login`) read.
//!
//! Once the user has confirmed on the phone (Confirmed), the next thing is the login. A new QR code (a Waiting, or
//! a scan with another `qrcode`), a Timeout or a Cancel with no login in between is the provider's failure to log
//! in: the user did everything asked and is shown a new code, or nothing ([`LostConfirmation`]). A status repeated
//! (Confirmed twice) is no failure: providers poll and emit again. A QR code is never kept or shown in full: a
//! history shows its first characters and its length (whoever scans a QR code logs in as the account).

use std::fmt;
use std::hash::BuildHasher;
use std::time::Duration;

use crate::wire::ScanStatus;

/// Scans a history keeps: the first [`KEPT_FIRST`] and the last ones, up to this many in all (a provider that loops
/// over QR codes must not grow a setup error without bound).
const KEPT: usize = 24;
const KEPT_FIRST: usize = 8;
/// Characters of a QR code shown.
const QR_SHOWN: usize = 12;

/// One `scan` event as a history keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanEntry {
    /// When it arrived, from the start of the session's timeline.
    pub at: Duration,
    /// Its status; `None` when the payload had no numeric status.
    pub status: Option<ScanStatus>,
    /// Its QR code, cut (the first characters and the length in characters), where a new one appears.
    pub qrcode: Option<(String, usize)>,
}

impl fmt::Display for ScanEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.status {
            Some(status) => write!(f, "{status}")?,
            None => f.write_str("no status")?,
        }
        write!(f, " at +{:.1}s", self.at.as_secs_f64())?;
        if let Some((head, length)) = &self.qrcode {
            let quoted = serde_json::to_string(head).unwrap_or_default();
            write!(f, " (QR code {}…, {length} characters)", quoted.trim_end_matches('"'))?;
        }
        Ok(())
    }
}

/// What followed a Confirmed scan instead of the login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Instead {
    /// A new QR code: a Waiting, or a scan with another `qrcode`.
    NewQrCode,
    /// Timeout: the QR code expired.
    Timeout,
    /// Cancel: the scan was cancelled.
    Cancel,
}

/// A Confirmed scan that was followed by a new QR code, a Timeout or a Cancel, with no login in between: the
/// provider's failure to log in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LostConfirmation {
    pub confirmed_at: Duration,
    pub instead: Instead,
    pub at: Duration,
}

impl fmt::Display for LostConfirmation {
    /// `scan Confirmed at +3.1s, then a new QR code at +5.0s, no login`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let instead = match self.instead {
            Instead::NewQrCode => "a new QR code",
            Instead::Timeout => "Timeout",
            Instead::Cancel => "Cancel",
        };
        write!(
            f,
            "scan Confirmed at +{:.1}s, then {instead} at +{:.1}s, no login",
            self.confirmed_at.as_secs_f64(),
            self.at.as_secs_f64()
        )
    }
}

impl LostConfirmation {
    /// The rule in words, for messages.
    pub const WORDS: &'static str = "the provider failed to log in: once the user confirms on the phone, the login follows, not a new QR code, \
         a Timeout or a Cancel";
}

/// The scans of a login, in order, and what they came to.
#[derive(Debug, Default)]
pub struct ScanHistory {
    first: Vec<ScanEntry>,
    last: std::collections::VecDeque<ScanEntry>,
    /// Scans seen in all.
    seen: usize,
    hasher: std::hash::RandomState,
    /// The current QR code's hash (a scan without one keeps it).
    qrcode: Option<u64>,
    /// When the current Confirmed came, until a login.
    confirmed: Option<Duration>,
    lost: Vec<LostConfirmation>,
}

impl ScanHistory {
    pub fn new() -> Self {
        Self::default()
    }

    /// A `scan` arrived at `at`; returns the lost confirmation it shows, if it shows one.
    pub fn scan(&mut self, at: Duration, status: Option<ScanStatus>, qrcode: Option<&str>) -> Option<LostConfirmation> {
        let hash = qrcode.filter(|qrcode| !qrcode.is_empty()).map(|qrcode| self.hasher.hash_one(qrcode));
        let new_code = hash.is_some_and(|hash| self.qrcode.is_some_and(|current| current != hash));
        // A code is shown (cut) where it first appears, not again with every status.
        let shown = hash.is_some() && (new_code || self.qrcode.is_none());
        if hash.is_some() {
            self.qrcode = hash;
        }
        self.keep(ScanEntry {
            at,
            status,
            qrcode: qrcode
                .filter(|_| shown)
                .map(|qrcode| (qrcode.chars().take(QR_SHOWN).collect(), qrcode.chars().count())),
        });
        let instead = match status {
            Some(ScanStatus::Waiting) => Some(Instead::NewQrCode),
            Some(ScanStatus::Timeout) => Some(Instead::Timeout),
            Some(ScanStatus::Cancel) => Some(Instead::Cancel),
            _ if new_code => Some(Instead::NewQrCode),
            _ => None,
        };
        let lost = match (self.confirmed, instead) {
            (Some(confirmed_at), Some(instead)) => {
                self.confirmed = None;
                let lost = LostConfirmation { confirmed_at, instead, at };
                self.lost.push(lost);
                Some(lost)
            }
            _ => None,
        };
        if status == Some(ScanStatus::Confirmed) {
            self.confirmed.get_or_insert(at);
        }
        lost
    }

    /// The bot logged in: a Confirmed before it was kept.
    pub fn login(&mut self) {
        self.confirmed = None;
    }

    /// The puppet stopped: a Confirmed before owes no login.
    pub fn forget_confirmed(&mut self) {
        self.confirmed = None;
    }

    /// Every lost confirmation, in order.
    pub fn lost(&self) -> &[LostConfirmation] {
        &self.lost
    }

    /// A Confirmed still waiting for its login: when it came.
    pub fn confirmed(&self) -> Option<Duration> {
        self.confirmed
    }

    pub fn is_empty(&self) -> bool {
        self.seen == 0
    }

    fn keep(&mut self, entry: ScanEntry) {
        self.seen += 1;
        if self.first.len() < KEPT_FIRST {
            self.first.push(entry);
            return;
        }
        if self.last.len() == KEPT - KEPT_FIRST {
            self.last.pop_front();
        }
        self.last.push_back(entry);
    }
}

impl fmt::Display for ScanHistory {
    /// `Waiting at +0.0s (QR code "https://logi…, 45 characters), Scanned at +1.2s, Confirmed at +3.1s, Timeout at
    /// +5.0s`, then what they came to (a lost confirmation, or a Confirmed still waiting).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.seen == 0 {
            return f.write_str("no scan event");
        }
        let shown: Vec<String> = self.first.iter().map(ToString::to_string).collect();
        f.write_str(&shown.join(", "))?;
        let skipped = self.seen - self.first.len() - self.last.len();
        if skipped > 0 {
            write!(f, ", … {skipped} more …")?;
        }
        for entry in &self.last {
            write!(f, ", {entry}")?;
        }
        if let Some(lost) = self.lost.first() {
            write!(f, "; {lost}: {}", LostConfirmation::WORDS)?;
            if self.lost.len() > 1 {
                write!(f, " ({} times)", self.lost.len())?;
            }
        } else if let Some(confirmed) = self.confirmed {
            write!(
                f,
                "; scan Confirmed at +{:.1}s and no login since: the user confirmed on the phone, the provider did \
                 not log in",
                confirmed.as_secs_f64()
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const QR: &str = "https://login.weixin.qq.com/l/AbCdEfGh1234567890";

    fn at(seconds: f64) -> Duration {
        Duration::from_secs_f64(seconds)
    }

    fn run(scans: &[(f64, Option<ScanStatus>, Option<&str>)], login_at: Option<usize>) -> ScanHistory {
        let mut history = ScanHistory::new();
        for (index, (seconds, status, qrcode)) in scans.iter().enumerate() {
            if login_at == Some(index) {
                history.login();
            }
            history.scan(at(*seconds), *status, *qrcode);
        }
        history
    }

    use ScanStatus::*;

    #[test]
    fn confirmed_then_timeout_is_a_lost_confirmation_shown_with_the_history() {
        let history = run(
            &[
                (0.0, Some(Waiting), Some(QR)),
                (1.2, Some(Scanned), None),
                (3.1, Some(Confirmed), None),
                (5.0, Some(Timeout), None),
            ],
            None,
        );
        assert_eq!(
            history.lost(),
            [LostConfirmation { confirmed_at: at(3.1), instead: Instead::Timeout, at: at(5.0) }]
        );
        let shown = history.to_string();
        assert!(
            shown.starts_with(
                "Waiting at +0.0s (QR code \"https://logi…, 48 characters), Scanned at +1.2s, Confirmed at +3.1s, \
                 Timeout at +5.0s; scan Confirmed at +3.1s, then Timeout at +5.0s, no login: the provider failed"
            ),
            "{shown}"
        );
        assert!(!shown.contains(QR), "the QR code is never shown in full: {shown}");
    }

    #[test]
    fn confirmed_then_a_new_qr_code_by_status_or_by_code() {
        let waiting =
            run(&[(0.0, Some(Waiting), Some(QR)), (3.1, Some(Confirmed), None), (5.0, Some(Waiting), Some(QR))], None);
        assert_eq!(waiting.lost()[0].to_string(), "scan Confirmed at +3.1s, then a new QR code at +5.0s, no login");
        // Another code with a status that is no Waiting (a provider that skips Waiting on a refresh).
        let other = run(
            &[
                (0.0, Some(Waiting), Some(QR)),
                (3.1, Some(Confirmed), Some(QR)),
                (5.0, Some(Scanned), Some("https://login.weixin.qq.com/l/other")),
            ],
            None,
        );
        assert_eq!(other.lost()[0].instead, Instead::NewQrCode);
        let cancel =
            run(&[(0.0, Some(Waiting), Some(QR)), (2.0, Some(Confirmed), None), (2.5, Some(Cancel), None)], None);
        assert_eq!(cancel.lost()[0].instead, Instead::Cancel);
    }

    #[test]
    fn a_login_between_keeps_the_confirmation_and_repeats_are_no_failure() {
        // Confirmed twice (a provider polling), then the login: fine.
        let twice = run(
            &[
                (0.0, Some(Waiting), Some(QR)),
                (1.0, Some(Scanned), None),
                (2.0, Some(Confirmed), None),
                (2.5, Some(Confirmed), None),
            ],
            None,
        );
        assert!(twice.lost().is_empty());
        assert_eq!(twice.confirmed(), Some(at(2.0)));
        assert!(twice.to_string().ends_with("scan Confirmed at +2.0s and no login since: the user confirmed on the phone, the provider did not log in"), "{twice}");
        // A login, then (after a logout) a new QR code: the confirmation was kept.
        let kept = run(
            &[
                (0.0, Some(Waiting), Some(QR)),
                (2.0, Some(Confirmed), None),
                (60.0, Some(Waiting), Some("https://login.weixin.qq.com/l/next")),
            ],
            Some(2),
        );
        assert!(kept.lost().is_empty());
        // A first QR code that timed out before anyone scanned it: no confirmation was lost.
        let expired = run(
            &[(0.0, Some(Waiting), Some(QR)), (30.0, Some(Timeout), None), (30.1, Some(Waiting), Some("https://x/2"))],
            None,
        );
        assert!(expired.lost().is_empty());
    }

    #[test]
    fn a_long_history_is_kept_bounded() {
        let mut history = ScanHistory::new();
        for index in 0..10_000 {
            history.scan(at(f64::from(index)), Some(Waiting), Some(&format!("https://x/{index}")));
        }
        let shown = history.to_string();
        assert!(shown.contains(", … 9976 more …, "), "{shown}");
        assert!(shown.len() < 4096, "{}", shown.len());
    }
}
