//! Text for HTML and XML, in element content and in quoted attribute values alike.

use super::terminal;

/// `& < > " '` as entities (`&#39;` is valid in HTML and XML alike); one line ([`terminal::one_line`]).
pub fn text(text: &str) -> String {
    let line = terminal::one_line(text);
    let mut out = String::with_capacity(line.len());
    for c in line.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn markup_and_quotes_are_entities() {
        assert_eq!(
            super::text("<a href=\"u\" title='y'>&</a>\n"),
            "&lt;a href=&quot;u&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt; "
        );
    }
}
