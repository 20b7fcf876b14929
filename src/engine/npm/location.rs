//! Byte offsets to 1-based line and column, the way editors count them.

use std::fmt;

/// Where in a file: 1-based line and column (columns count characters, i.e. Unicode scalar values).
///
/// `file` is the path as the finding should show it, relative to the package directory (`package.json`,
/// `examples/ding-dong-bot.ts`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Location {
    /// The file, relative to the package directory, with `/` separators.
    pub file: String,
    /// 1-based line: lines end at `\n` (a `\r\n` counts once).
    pub line: u32,
    /// 1-based column, in characters from the start of the line.
    pub column: u32,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// The start of every line of one text, to turn byte offsets into [`Location`]s.
pub(crate) struct LineIndex<'t> {
    file: String,
    text: &'t str,
    starts: Vec<usize>,
}

impl<'t> LineIndex<'t> {
    pub(crate) fn new(file: &str, text: &'t str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.bytes().enumerate().filter(|&(_, b)| b == b'\n').map(|(i, _)| i + 1));
        LineIndex { file: file.to_string(), text, starts }
    }

    /// The location of byte `offset`; an offset past the end or inside a character is moved back to the
    /// nearest character boundary.
    pub(crate) fn locate(&self, offset: usize) -> Location {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&start| start <= offset).max(1);
        let start = self.starts[line - 1];
        let column = self.text[start..offset].chars().count() + 1;
        Location { file: self.file.clone(), line: saturate(line), column: saturate(column) }
    }
}

fn saturate(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_become_lines_and_character_columns() {
        let index = LineIndex::new("f", "ab\n\u{e9}x\r\ny");
        let at = |o| {
            let l = index.locate(o);
            (l.line, l.column)
        };
        assert_eq!(at(0), (1, 1));
        assert_eq!(at(2), (1, 3));
        assert_eq!(at(3), (2, 1));
        assert_eq!(at(5), (2, 2)); // after the two-byte é
        assert_eq!(at(4), (2, 1)); // inside é: moved back
        assert_eq!(at(8), (3, 1));
        assert_eq!(at(999), (3, 2));
        assert_eq!(LineIndex::new("f", "").locate(3).to_string(), "f:1:1");
    }
}
