//! Whether an output is inert for its language, checked apart from the
//! crate's escaping: a terminal is driven by nothing but the harness's own
//! colours; Markdown has no link, image, autolink, raw HTML, emphasis or
//! table break a peer put there; XML is well-formed with no element or
//! attribute from a peer; an HTML page's tags are its own; GitHub workflow
//! commands start only where the harness starts them. Where the same report
//! can be rendered with benign strings in place of the hostile ones, the
//! two renderings must have the same markup, text aside ([`same_markup`]).
//! Each check gives back what it found wrong.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

/// Control characters (C0 but LF, DEL, C1), the line and paragraph separators, the format characters that
/// reorder or hide text (bidi controls, zero-width characters, soft hyphen, number signs, interlinear
/// annotations, tag characters) and the blank fillers (written here apart from the crate's list, from the Unicode
/// tables).
pub fn hidden(c: char) -> bool {
    (c.is_control() && c != '\n')
        || matches!(
            c,
            '\u{AD}' | '\u{61C}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{2069}' | '\u{FEFF}'
        )
        || matches!(c as u32,
            0x2028 | 0x2029 // Zl, Zp
            | 0x600..=0x605 | 0x6DD | 0x70F | 0x890 | 0x891 | 0x8E2 | 0x180E | 0x206A..=0x206F | 0xFFF9..=0xFFFB
            | 0x110BD | 0x110CD | 0x13430..=0x1343F | 0x1BCA0..=0x1BCA3 | 0x1D173..=0x1D17A | 0xE0001
            | 0xE0020..=0xE007F // Cf
            | 0x34F | 0x115F | 0x1160 | 0x17B4 | 0x17B5 | 0x180B..=0x180D | 0x180F | 0x3164 | 0xFFA0
            | 0xE0100..=0xE01EF // fillers, joiners, variation selectors that show as nothing
        )
}

/// Terminal text: nothing hidden or driving; with `colour`, SGR sequences
/// (`ESC [ digits ; … m`, the harness's colours) are allowed, nothing else
/// that starts with ESC.
pub fn terminal(text: &str, colour: bool) -> Result<(), String> {
    let mut rest = text;
    let mut plain = String::with_capacity(text.len());
    while let Some(at) = rest.find('\u{1b}') {
        plain.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let sgr = after.strip_prefix('[').and_then(|body| {
            let digits = body.find(|c: char| !(c.is_ascii_digit() || c == ';'))?;
            (body[digits..].starts_with('m')).then_some(digits + 2)
        });
        match sgr {
            Some(length) if colour => rest = &after[length..],
            _ => return Err(format!("ESC at {at}: {:?}", context(rest, at))),
        }
    }
    plain.push_str(rest);
    match plain.char_indices().find(|(_, c)| hidden(*c)) {
        Some((at, c)) => Err(format!("{c:?} at {at}: {:?}", context(&plain, at))),
        None => Ok(()),
    }
}

fn context(text: &str, at: usize) -> &str {
    let mut start = at.saturating_sub(60);
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = (at + 60).min(text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    &text[start..end]
}

/// GitHub workflow commands as the harness writes them: every line is
/// `::error title=…::…` or `::warning title=…::…`, the title a property
/// (no raw `:` `,`), `%` only as the escapes `%25`, `%0D`, `%0A` (`%3A`,
/// `%2C` in the title), no CR, nothing hidden.
pub fn workflow(text: &str) -> Result<(), String> {
    terminal(text, false)?;
    for line in text.lines() {
        let rest = line
            .strip_prefix("::error title=")
            .or_else(|| line.strip_prefix("::warning title="))
            .ok_or_else(|| format!("a line that is not ours: {line:?}"))?;
        let (title, message) = rest.split_once("::").ok_or_else(|| format!("no message: {line:?}"))?;
        if title.contains([':', ',']) {
            return Err(format!("a raw : or , in the title: {line:?}"));
        }
        for (value, escapes) in
            [(title, &["%25", "%0D", "%0A", "%3A", "%2C"][..]), (message, &["%25", "%0D", "%0A"][..])]
        {
            for (at, _) in value.match_indices('%') {
                if !escapes.iter().any(|escape| value[at..].starts_with(escape)) {
                    return Err(format!("a bare % in {value:?} of {line:?}"));
                }
            }
        }
    }
    Ok(())
}

/// JSON that parses, with no raw control character (C1 and DEL included: `cat` hands them to the terminal).
pub fn json(text: &str) -> Result<(), String> {
    serde_json::from_str::<serde_json::Value>(text).map_err(|error| format!("not JSON: {error}"))?;
    match text.char_indices().find(|(_, c)| c.is_control() && *c != '\n') {
        Some((at, c)) => Err(format!("raw {c:?} at {at}: {:?}", context(text, at))),
        None => Ok(()),
    }
}

/// XML that parses; its elements, attributes, processing instructions and
/// comments (not its text), in order.
pub fn xml_markup(text: &str) -> Result<Vec<String>, String> {
    let document = roxmltree::Document::parse(text).map_err(|error| format!("not well-formed XML: {error}"))?;
    let mut markup = Vec::new();
    for node in document.descendants() {
        match node.node_type() {
            roxmltree::NodeType::Element => {
                let mut names: Vec<&str> = node.attributes().map(|attribute| attribute.name()).collect();
                names.sort_unstable();
                markup.push(format!("<{} {}>", node.tag_name().name(), names.join(" ")));
            }
            roxmltree::NodeType::PI => markup.push("<?pi?>".into()),
            roxmltree::NodeType::Comment => markup.push("<!--comment-->".into()),
            roxmltree::NodeType::Root | roxmltree::NodeType::Text => {}
        }
    }
    Ok(markup)
}

/// HTML as the harness writes it (double-quoted attribute values, `<style>` and `<script>` its own): its tags
/// with their attribute names, in order; an error where text or a value holds `<`, `>` or `"`, or an `&` that
/// is not one of `&amp; &lt; &gt; &quot; &#39;`.
pub fn html_markup(text: &str) -> Result<Vec<String>, String> {
    const ENTITIES: [&str; 5] = ["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"];
    let entities = |value: &str, at: usize| -> Result<(), String> {
        for (offset, _) in value.match_indices('&') {
            if !ENTITIES.iter().any(|entity| value[offset..].starts_with(entity)) {
                return Err(format!("a bare & at {}: {:?}", at + offset, context(text, at + offset)));
            }
        }
        Ok(())
    };
    let mut markup = Vec::new();
    let mut at = 0;
    while at < text.len() {
        let Some(open) = text[at..].find('<').map(|offset| at + offset) else {
            entities(&text[at..], at)?;
            if text[at..].contains('>') {
                return Err(format!("a bare > after {at}"));
            }
            break;
        };
        let between = &text[at..open];
        if between.contains('>') {
            return Err(format!("a bare > in text at {at}: {:?}", context(text, at)));
        }
        entities(between, at)?;
        let rest = &text[open..];
        if let Some(comment) = rest.strip_prefix("<!--") {
            let end = comment.find("-->").ok_or("an unclosed comment")?;
            markup.push("<!--comment-->".into());
            at = open + 4 + end + 3;
            continue;
        }
        if rest.starts_with("<!DOCTYPE html>") {
            markup.push("<!DOCTYPE>".into());
            at = open + "<!DOCTYPE html>".len();
            continue;
        }
        let (tag, length) = tag(rest).map_err(|error| format!("{error} at {open}: {:?}", context(text, open)))?;
        for value in &tag.values {
            entities(value, open)?;
        }
        at = open + length;
        let name = tag.name.clone();
        markup.push(format!("<{}{} {}>", if tag.closing { "/" } else { "" }, name, tag.attributes.join(" ")));
        if !tag.closing && (name == "style" || name == "script") {
            let close = format!("</{name}>");
            let end = text[at..].find(&close).ok_or_else(|| format!("no {close}"))?;
            at += end;
        }
    }
    Ok(markup)
}

struct HtmlTag {
    name: String,
    closing: bool,
    attributes: Vec<String>,
    values: Vec<String>,
}

/// One tag at the start of `text`: `<name a="v" b>` or `</name>`, and its length.
fn tag(text: &str) -> Result<(HtmlTag, usize), String> {
    let bytes = text.as_bytes();
    let mut at = 1;
    let closing = bytes.get(at) == Some(&b'/');
    at += usize::from(closing);
    let name_length = text[at..].find(|c: char| !c.is_ascii_alphanumeric()).unwrap_or(text.len() - at);
    if name_length == 0 {
        return Err("a < that starts no tag".into());
    }
    let name = text[at..at + name_length].to_ascii_lowercase();
    at += name_length;
    let mut attributes = Vec::new();
    let mut values = Vec::new();
    loop {
        while bytes.get(at).is_some_and(u8::is_ascii_whitespace) {
            at += 1;
        }
        match bytes.get(at) {
            Some(b'>') => return Ok((HtmlTag { name, closing, attributes, values }, at + 1)),
            Some(b'/') if bytes.get(at + 1) == Some(&b'>') => {
                return Ok((HtmlTag { name, closing, attributes, values }, at + 2));
            }
            None => return Err("an unclosed tag".into()),
            _ => {}
        }
        let length =
            text[at..].find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == ':')).unwrap_or(text.len() - at);
        if length == 0 {
            return Err(format!("not an attribute: {:?}", &text[at..(at + 20).min(text.len())]));
        }
        attributes.push(text[at..at + length].to_ascii_lowercase());
        at += length;
        if bytes.get(at) == Some(&b'=') {
            if bytes.get(at + 1) != Some(&b'"') {
                return Err("an attribute value not in double quotes".into());
            }
            let end = text[at + 2..].find('"').ok_or("an unclosed attribute value")?;
            let value = &text[at + 2..at + 2 + end];
            if value.contains(['<', '>']) {
                return Err(format!("< or > in an attribute value: {value:?}"));
            }
            values.push(value.to_owned());
            at += 2 + end + 1;
        }
    }
}

fn markdown_options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS | Options::ENABLE_FOOTNOTES
}

/// Markdown's markup, text aside: block and inline structure, and for raw HTML its tags. Also an error for a
/// table row whose unescaped `|` do not match its header's, for a bare URL, `www.` or `@` in Markdown text
/// (GFM links them), and for an image or a footnote anywhere; a link is markup (`link …`, its source).
pub fn markdown_markup(text: &str) -> Result<Vec<String>, String> {
    tables(text)?;
    let mut markup = Vec::new();
    let mut in_code_block = false;
    for (event, range) in Parser::new_ext(text, markdown_options()).into_offset_iter() {
        match event {
            Event::Start(Tag::CodeBlock(_)) => {
                in_code_block = true;
                markup.push("codeblock".into());
            }
            Event::End(TagEnd::CodeBlock) => in_code_block = false,
            // Links are the harness's own only where the benign rendering has them too (the fleet's).
            Event::Start(Tag::Link { .. }) => markup.push(format!("link {:?}", &text[range])),
            Event::Start(Tag::Image { .. }) | Event::FootnoteReference(_) => {
                return Err(format!("an image or a footnote: {:?}", &text[range]));
            }
            Event::Start(tag) => markup.push(format!("{tag:?}").split(['(', ' ', '{']).next().unwrap_or("").to_owned()),
            Event::End(tag) => markup.push(format!("/{tag:?}")),
            Event::Html(html) | Event::InlineHtml(html) => {
                markup.extend(html_tags(&html).map_err(|error| format!("raw HTML: {error}: {html:?}"))?);
            }
            Event::Text(_) | Event::Code(_) if in_code_block => {}
            Event::Text(_) => {
                // The text of a backslash escape starts after its backslash: the source keeps it.
                let start = if text[..range.start].ends_with('\\') { range.start - 1 } else { range.start };
                bare_link(&text[start..range.end])?;
            }
            // A code span shows its text literally: inert, whoever made it.
            Event::Code(_) => {}
            Event::InlineMath(_) | Event::DisplayMath(_) => return Err(format!("math: {:?}", &text[range])),
            other => markup.push(format!("{other:?}")),
        }
    }
    Ok(markup)
}

/// The tags of a piece of raw HTML (text between them checked as [`html_markup`] checks it).
fn html_tags(html: &str) -> Result<Vec<String>, String> {
    html_markup(html.trim_end_matches('\n'))
}

/// Every table keeps its shape: each row (a line in a table block) starts with `|` and has as many unescaped
/// `|` as its header.
fn tables(text: &str) -> Result<(), String> {
    let pipes = |line: &str| {
        let mut count = 0;
        let mut slashes = 0;
        for c in line.chars() {
            if c == '|' && slashes % 2 == 0 {
                count += 1;
            }
            slashes = if c == '\\' { slashes + 1 } else { 0 };
        }
        count
    };
    let mut header: Option<usize> = None;
    let mut in_fence = false;
    for line in text.lines() {
        if line.starts_with("```") || line.starts_with("~~~") {
            in_fence = !in_fence;
        }
        if in_fence {
            continue;
        }
        match header {
            Some(width) if !line.trim().is_empty() && (!line.starts_with('|') || pipes(line) != width) => {
                return Err(format!("a table row out of shape ({width} columns' pipes): {line:?}"));
            }
            Some(_) if line.trim().is_empty() => header = None,
            Some(_) => {}
            None if line.starts_with('|') => header = Some(pipes(line)),
            None => {}
        }
    }
    Ok(())
}

/// No bare `http://`, `https://`, `www.` or `name@host` in the source of Markdown text (code spans, code
/// blocks and raw HTML aside): GFM turns them into links.
fn bare_link(source: &str) -> Result<(), String> {
    let lower = source.to_ascii_lowercase();
    let unescaped_scheme = lower.match_indices("://").any(|(at, _)| !lower[..at].ends_with('\\'));
    if unescaped_scheme || lower.contains("www.") {
        return Err(format!("a bare link: {source:?}"));
    }
    let bytes = source.as_bytes();
    for (at, _) in source.match_indices('@') {
        let escaped = at > 0 && bytes[at - 1] == b'\\';
        if !escaped && bytes.get(at + 1).is_some_and(u8::is_ascii_alphanumeric) {
            return Err(format!("a bare @ (a mention or a mail link): {source:?}"));
        }
    }
    Ok(())
}

/// `hostile` has the markup of `benign` (the same output with benign strings in place of a peer's), text
/// aside; `what` names the output in the error.
pub fn same_markup(what: &str, hostile: &[String], benign: &[String]) -> Result<(), String> {
    if hostile == benign {
        return Ok(());
    }
    let first = hostile.iter().zip(benign).position(|(a, b)| a != b).unwrap_or(hostile.len().min(benign.len()));
    Err(format!(
        "{what}: markup differs from the benign rendering at {first}: {:?} vs {:?}",
        &hostile[first.saturating_sub(2)..(first + 3).min(hostile.len())],
        &benign[first.saturating_sub(2)..(first + 3).min(benign.len())]
    ))
}
