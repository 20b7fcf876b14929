//! How output looks: colour policy (`--color`, `NO_COLOR`, `TERM=dumb`),
//! terminal detection, and the marks every format shares.

use std::io::IsTerminal;

use comfy_table::presets::{ASCII_FULL_CONDENSED, UTF8_FULL_CONDENSED};
use comfy_table::{ContentArrangement, Table};

use crate::cli::ColorChoice;
use crate::events::Verdict;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Look {
    pub color: bool,
    /// Box-drawing and check marks; plain ASCII otherwise.
    pub unicode: bool,
    /// Table width; `None` lets the terminal decide.
    pub width: Option<u16>,
}

impl Look {
    /// For stdout (reports), following `--color` and the environment.
    pub fn detect(choice: ColorChoice) -> Look {
        let tty = std::io::stdout().is_terminal();
        Look { color: color_wanted(choice, tty), unicode: true, width: if tty { None } else { Some(120) } }
    }

    /// Fixed output, for files and snapshots.
    pub fn plain() -> Look {
        Look { color: false, unicode: true, width: Some(120) }
    }

    pub fn paint(&self, text: &str, paint: Paint) -> String {
        if !self.color {
            return text.to_owned();
        }
        let code = match paint {
            Paint::Green => "32",
            Paint::Red => "31",
            Paint::Yellow => "33",
            Paint::Cyan => "36",
            Paint::Dim => "2",
            Paint::Bold => "1",
        };
        format!("\u{1b}[{code}m{text}\u{1b}[0m")
    }

    /// A table drawn this way: box-drawing or ASCII borders, styling only
    /// with colour, wrapped to [`Look::width`] (or the terminal's).
    pub fn table(&self) -> Table {
        let mut table = Table::new();
        table.load_style(if self.unicode { UTF8_FULL_CONDENSED } else { ASCII_FULL_CONDENSED });
        if self.color {
            table.enforce_styling();
        } else {
            table.force_no_tty();
        }
        table.set_content_arrangement(ContentArrangement::Dynamic);
        if let Some(width) = self.width {
            table.set_width(width);
        }
        table
    }

    /// `✓ pass`, `✗ fail`, … coloured by verdict.
    pub fn verdict(&self, verdict: Verdict) -> String {
        let (mark, paint) = mark(verdict);
        self.paint(&format!("{mark} {}", verdict.name()), paint)
    }
}

/// A QR code drawn with Unicode half blocks (two rows per line), as Wechaty
/// bots draw the login code in a terminal; `None` when the text is too long
/// for a QR code.
pub fn qr_code(text: &str) -> Option<String> {
    let code = qrcode::QrCode::new(text.as_bytes()).ok()?;
    Some(code.render::<qrcode::render::unicode::Dense1x2>().quiet_zone(true).build())
}

/// Whether a scan's QR code is drawn (a terminal, not a CI log) or only its
/// URL is printed.
pub fn draws_qr_codes(terminal: bool) -> bool {
    terminal && std::env::var_os("CI").is_none_or(|value| value.is_empty() || value == "false")
}

/// The lines shown when a service asks for a scan: the QR code when
/// `draw`, then the status and the URL.
pub fn scan_lines(status: &str, qrcode: Option<&str>, draw: bool) -> String {
    let url = qrcode.map(|qrcode| format!(" — scan {}", crate::report::one_line(qrcode))).unwrap_or_default();
    let line = format!("waiting for login: {}{url}", crate::report::one_line(status));
    match qrcode.filter(|_| draw).and_then(qr_code) {
        Some(drawn) => format!("{drawn}\n{line}"),
        None => line,
    }
}

#[derive(Debug, Clone, Copy)]
pub enum Paint {
    Green,
    Red,
    Yellow,
    Cyan,
    Dim,
    Bold,
}

pub fn mark(verdict: Verdict) -> (&'static str, Paint) {
    match verdict {
        Verdict::Pass => ("✓", Paint::Green),
        Verdict::Fail => ("✗", Paint::Red),
        Verdict::Warn => ("!", Paint::Yellow),
        Verdict::Skip => ("-", Paint::Dim),
        Verdict::Error => ("E", Paint::Red),
        Verdict::Timeout => ("T", Paint::Red),
    }
}

/// `NO_COLOR` (any non-empty value) and `TERM=dumb` turn colour off unless
/// `--color always` insists.
pub fn color_wanted(choice: ColorChoice, tty: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            let no_color = std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty());
            let dumb = std::env::var("TERM").is_ok_and(|term| term == "dumb");
            tty && !no_color && !dumb
        }
    }
}
