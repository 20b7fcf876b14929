//! One escaping module per output language. Every string that reaches an output may come from a peer (a
//! provider's version string, an error it sent, an event payload) or from a file someone handed in (a report, a
//! recording): each renderer passes it through the module of its language, which makes it inert there. Each
//! module masks tokens ([`crate::redact`]) before it escapes: an escape it adds (`\~` in Markdown, `\u{200b}` in
//! a terminal) could split a secret where the redaction no longer sees it.
//!
//! | output | module | what it neutralises |
//! | --- | --- | --- |
//! | terminal, plain logs | [`terminal`] | C0/C1 controls (ESC and so CSI/OSC sequences, BEL, CR, NEL), DEL, the line and paragraph separators U+2028/U+2029, every format character (bidi controls, zero-width characters, tag characters), blank fillers |
//! | Markdown (summary.md, job summaries, matrix) | [`markdown`] | links, images, autolinks, emphasis, code, headings, tables, raw HTML |
//! | HTML and XML (matrix.html, badge.svg) | [`html`] | `& < > " '` in text and attribute values |
//! | GitHub workflow commands | [`workflow`] | `%`, CR and LF (a new line would start a command), `:` and `,` in properties |
//!
//! JUnit XML is written by quick-junit, which escapes markup; [`crate::report::junit::clean`] removes what XML
//! cannot hold.

pub mod html;
pub mod markdown;
pub mod terminal;
pub mod workflow;
