//! Text for Markdown (GitHub-flavoured: summary.md, a job summary, the matrix): a peer's string is shown as the
//! characters it is, never as markup. A link, an image (a remote image is a request to a third party when the
//! page is viewed), an autolink, emphasis, a code span, a heading, a table row or raw HTML in it is shown as its
//! text.

use super::terminal;

/// One inert line for a table cell or a list item: [`terminal::one_line`], then HTML's `& < >` as entities and
/// every Markdown punctuation character backslash-escaped (CommonMark: any ASCII punctuation may be escaped), so
/// `|` cannot end a cell and `[x](…)` is no link. `:` is escaped too, which breaks GFM's `https://` autolinks;
/// `www.` autolinks are broken by escaping the dot after `www`, e-mail autolinks and `@mentions` by escaping `@`.
pub fn cell(text: &str) -> String {
    let line = terminal::one_line(text);
    let mut out = String::with_capacity(line.len() + line.len() / 8);
    for (at, c) in line.char_indices() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '.' if at >= 3 && line.as_bytes()[at - 3..at].eq_ignore_ascii_case(b"www") => out.push_str("\\."),
            // What can start or end markup; the rest of ASCII punctuation is kept readable.
            '\\' | '|' | '`' | '*' | '_' | '[' | ']' | '(' | ')' | '~' | '#' | '!' | ':' | '$' | '@' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// A table cell that shows `text` as code (a check id): a code span when `text` is one inert line without a
/// backtick, a backslash or a pipe (inside a code span a backslash is literal, yet GFM's table still reads `\\|`
/// as a backslash and the end of the cell), else [`cell`]'s escaped text.
pub fn code_cell(text: &str) -> String {
    let line = terminal::one_line(text);
    if line.is_empty() || line.contains(['`', '\\', '|']) || line.trim() != line {
        cell(&line)
    } else {
        format!("`{line}`")
    }
}

/// A cell of Markdown we wrote ourselves (a suite's title and requirement, meant to render `**bold**` and
/// `` `code` ``): only what would break the table — a pipe, a new line — is escaped, and what would drive a
/// terminal or hide in the text ([`terminal::hidden`], a suite handed in may hold it) is shown as its escape.
pub fn trusted_cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '\n' => out.push(' '),
            c if terminal::hidden(c) => out.push_str(&format!("\\u{{{:04x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// A fenced code block whose fence no line inside can close; control characters other than LF become U+FFFD;
/// tokens masked first.
pub fn fence(body: &str) -> String {
    let body = crate::redact::redact(body);
    let longest = body.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat((longest + 1).max(3));
    let body: String = body.chars().map(|c| if c != '\n' && terminal::hidden(c) { '\u{FFFD}' } else { c }).collect();
    format!("{fence}text\n{}\n{fence}\n", body.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_images_and_html_are_text() {
        let hostile = "[Re-authenticate](https://evil.example/login) ![x](https://evil.example/p.png) <img src=x> a|b";
        let shown = cell(hostile);
        assert!(!shown.contains("]("), "{shown}");
        assert!(!shown.contains("<img"), "{shown}");
        assert!(!shown.contains("https://"), "{shown}");
        assert!(shown.contains("a\\|b"), "{shown}");
        assert_eq!(cell("www.evil.example"), "www\\.evil.example");
        assert_eq!(cell("a &amp; b"), "a &amp;amp; b");
    }

    #[test]
    fn a_fence_cannot_be_closed_from_inside() {
        let block = fence("```\nrm -rf\n````");
        assert!(block.starts_with("`````text\n"), "{block}");
        assert_eq!(fence("a\nb\u{1b}[2J"), "```text\na\nb\u{FFFD}[2J\n```\n", "lines kept, controls not");
    }
}
