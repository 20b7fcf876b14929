//! FileBox: how a file travels in a `string file_box` field, as JSON.
//!
//! `{"type", "boxType", "name", "metadata", "size"?, "md5"?, <payload>}` where the
//! payload key depends on the type. No media type travels: receivers derive it
//! from `name`'s extension — which is why the spec's MIME rule exists.

use base64::Engine as _;
use serde_json::{Map, Value, json};

/// Payload kinds that can be serialised (file-box's `FileBoxType`).
pub const BASE64: i64 = 1;
pub const URL: i64 = 2;
pub const QR_CODE: i64 = 3;
pub const UUID: i64 = 7;

/// Boxes over this size travel as uuid boxes (bytes via `Upload`/`Download`).
pub const INLINE_LIMIT: usize = 20 * 1024;

#[derive(Debug, Clone, PartialEq)]
pub struct FileBox {
    pub box_type: i64,
    pub name: String,
    pub size: Option<u64>,
    pub payload: Payload,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    Base64(String),
    Url(String),
    QrCode(String),
    Uuid(String),
    /// A type puppet-lint does not read; the box's name still counts.
    Unreadable,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileBoxError {
    #[error("file box is not JSON ({0})")]
    NotJson(String),
    #[error("file box JSON is not an object")]
    NotObject,
    #[error("file box has no \"name\" string")]
    NoName,
    #[error("file box has no numeric \"type\" (nor \"boxType\")")]
    NoType,
    #[error("file box of type {box_type} has no \"{key}\" string")]
    NoPayload { box_type: i64, key: &'static str },
}

impl FileBox {
    pub fn parse(json: &str) -> Result<FileBox, FileBoxError> {
        let value: Value = serde_json::from_str(json).map_err(|error| FileBoxError::NotJson(error.to_string()))?;
        let object = value.as_object().ok_or(FileBoxError::NotObject)?;
        let name = object.get("name").and_then(Value::as_str).ok_or(FileBoxError::NoName)?.to_owned();
        // Old boxes only have `boxType`; new ones carry both.
        let box_type = ["type", "boxType"]
            .iter()
            .find_map(|key| object.get(*key).and_then(Value::as_i64))
            .ok_or(FileBoxError::NoType)?;
        let text = |key: &'static str| {
            object.get(key).and_then(Value::as_str).map(str::to_owned).ok_or(FileBoxError::NoPayload { box_type, key })
        };
        let payload = match box_type {
            BASE64 => Payload::Base64(text("base64")?),
            URL => Payload::Url(text("url")?),
            QR_CODE => Payload::QrCode(text("qrCode")?),
            UUID => Payload::Uuid(text("uuid")?),
            _ => Payload::Unreadable,
        };
        let size = object.get("size").and_then(Value::as_u64);
        Ok(FileBox { box_type, name, size, payload })
    }

    /// A base64 box, the form small files travel in.
    pub fn from_bytes(name: &str, bytes: &[u8]) -> FileBox {
        FileBox {
            box_type: BASE64,
            name: name.to_owned(),
            size: Some(bytes.len() as u64),
            payload: Payload::Base64(base64::engine::general_purpose::STANDARD.encode(bytes)),
        }
    }

    pub fn uuid(name: &str, uuid: &str, size: u64) -> FileBox {
        FileBox { box_type: UUID, name: name.to_owned(), size: Some(size), payload: Payload::Uuid(uuid.to_owned()) }
    }

    pub fn to_json(&self) -> String {
        let mut object = Map::new();
        object.insert("type".into(), json!(self.box_type));
        object.insert("boxType".into(), json!(self.box_type));
        object.insert("name".into(), json!(self.name));
        object.insert("metadata".into(), json!({}));
        if let Some(size) = self.size {
            object.insert("size".into(), json!(size));
        }
        match &self.payload {
            Payload::Base64(data) => object.insert("base64".into(), json!(data)),
            Payload::Url(url) => object.insert("url".into(), json!(url)),
            Payload::QrCode(code) => object.insert("qrCode".into(), json!(code)),
            Payload::Uuid(uuid) => object.insert("uuid".into(), json!(uuid)),
            Payload::Unreadable => None,
        };
        Value::Object(object).to_string()
    }

    /// The bytes of a base64 box, if it is one and decodes.
    pub fn inline_bytes(&self) -> Option<Vec<u8>> {
        match &self.payload {
            Payload::Base64(data) => base64::engine::general_purpose::STANDARD.decode(data).ok(),
            _ => None,
        }
    }
}

/// What a file name says about its media type: the extension and the MIME
/// type a receiver would derive from it (`None`: no extension, or one that
/// maps to nothing — a receiver then sees `application/unknown`).
pub fn mime_of_name(name: &str) -> (Option<String>, Option<String>) {
    let extension = std::path::Path::new(name)
        .extension()
        .and_then(|extension| extension.to_str())
        .filter(|extension| !extension.is_empty())
        .map(str::to_ascii_lowercase);
    let mime = extension
        .as_deref()
        .and_then(|extension| mime_guess::from_ext(extension).first())
        .map(|mime| mime.essence_str().to_owned());
    (extension, mime)
}

/// The extension puppet-lint gives a file of `mime` it sends: a short table of
/// the conventional one, then whatever `mime_guess` knows.
pub fn preferred_extension(mime: &str) -> Option<String> {
    const PREFERRED: &[(&str, &str)] = &[
        ("application/pdf", "pdf"),
        ("image/jpeg", "jpg"),
        ("image/png", "png"),
        ("image/gif", "gif"),
        ("video/mp4", "mp4"),
        ("audio/mpeg", "mp3"),
        ("text/plain", "txt"),
        ("application/zip", "zip"),
    ];
    PREFERRED
        .iter()
        .find(|(known, _)| known.eq_ignore_ascii_case(mime))
        .map(|(_, extension)| (*extension).to_owned())
        .or_else(|| mime_guess::get_mime_extensions_str(mime).and_then(|all| all.first()).map(|e| (*e).to_owned()))
}

/// Whether `extension` is one of those `mime` is known by.
pub fn extension_fits(mime: &str, extension: &str) -> bool {
    mime_guess::get_mime_extensions_str(mime)
        .is_some_and(|all| all.iter().any(|known| known.eq_ignore_ascii_case(extension)))
}

/// The md5 of `bytes`, in lower-case hex (as file-box's `md5`).
pub fn md5_hex(bytes: &[u8]) -> String {
    let mut digest = Digest::default();
    digest.add(bytes);
    digest.md5().unwrap_or_default()
}

/// A file's size and md5 as its chunks go by: a download is judged without
/// ever being whole in memory. [`Digest::counting`] counts without hashing: a
/// check that never reads a file's md5 does not pay for it (5 MiB of md5 is
/// about 8 ms of a core, and a hundred targets send and fetch theirs at once).
#[derive(Clone)]
pub struct Digest {
    /// `None`: counting only.
    md5: Option<md5::Md5>,
    size: usize,
}

impl Default for Digest {
    /// Counts and hashes.
    fn default() -> Digest {
        Digest { md5: Some(md5::Md5::default()), size: 0 }
    }
}

impl Digest {
    /// Counts and hashes when `hashing`, else only counts.
    pub fn new(hashing: bool) -> Digest {
        if hashing { Digest::default() } else { Digest::counting() }
    }

    /// Counts, never hashes: [`Digest::md5`] is `None`.
    pub fn counting() -> Digest {
        Digest { md5: None, size: 0 }
    }

    /// Counts (and hashes, unless counting only) the next chunk.
    pub fn add(&mut self, chunk: &[u8]) {
        use md5::Digest as _;
        if let Some(md5) = &mut self.md5 {
            md5.update(chunk);
        }
        self.size += chunk.len();
    }

    /// Bytes seen so far.
    pub fn size(&self) -> usize {
        self.size
    }

    /// The md5 of the bytes seen so far, in lower-case hex; `None` when counting only.
    pub fn md5(&self) -> Option<String> {
        use md5::Digest as _;
        let md5 = self.md5.clone()?;
        Some(md5.finalize().iter().map(|byte| format!("{byte:02x}")).collect())
    }
}

impl std::fmt::Debug for Digest {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("Digest").field("size", &self.size).finish_non_exhaustive()
    }
}

/// `size` bytes: `head`, then deterministic pseudo-random bytes seeded by
/// `seed` (xorshift64*): the same seed gives the same file, and nothing
/// compresses it. Whole in memory: for a big file, [`MadeFile::chunks`].
pub fn pseudo_random(head: &[u8], size: usize, seed: &str) -> Vec<u8> {
    MadeFile::new(head, size, seed).bytes()
}

/// A file of [`pseudo_random`]'s bytes, described instead of held: its
/// chunks are made as they are sent, and its md5 by a pass of its own, so a
/// 5 MiB file costs one chunk of memory, not 5 MiB (a hundred targets send
/// theirs at once).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MadeFile {
    head: Vec<u8>,
    size: usize,
    seed: u64,
}

impl MadeFile {
    /// `head` (cut to `size`), then pseudo-random bytes seeded by `seed`, `size` bytes in all.
    pub fn new(head: &[u8], size: usize, seed: &str) -> MadeFile {
        let seed = seed
            .bytes()
            .fold(0x9E37_79B9_7F4A_7C15u64, |state, byte| (state ^ u64::from(byte)).wrapping_mul(0x0100_0000_01B3))
            | 1;
        MadeFile { head: head[..head.len().min(size)].to_vec(), size, seed }
    }

    /// Just `bytes` (a small file, whole).
    pub fn of(bytes: &[u8]) -> MadeFile {
        MadeFile { head: bytes.to_vec(), size: bytes.len(), seed: 1 }
    }

    /// Its size in bytes.
    pub fn len(&self) -> usize {
        self.size
    }

    /// Whether it has no bytes.
    pub fn is_empty(&self) -> bool {
        self.size == 0
    }

    /// Its bytes, `chunk` at a time (the last may be shorter; none when empty).
    pub fn chunks(&self, chunk: usize) -> MadeChunks {
        MadeChunks { file: self.clone(), chunk: chunk.max(1), made: 0, state: self.seed, spare: Vec::new() }
    }

    /// Its size and md5, made chunk by chunk.
    pub fn digest(&self) -> Digest {
        let mut digest = Digest::default();
        for chunk in self.chunks(64 * 1024) {
            digest.add(&chunk);
        }
        digest
    }

    /// Its bytes, whole (an inline box).
    pub fn bytes(&self) -> Vec<u8> {
        self.chunks(self.size.max(1)).next().unwrap_or_default()
    }
}

/// The chunks of a [`MadeFile`], each made when asked for.
#[derive(Debug)]
pub struct MadeChunks {
    file: MadeFile,
    chunk: usize,
    made: usize,
    state: u64,
    /// The rest of the last word, when a chunk ended inside it.
    spare: Vec<u8>,
}

impl Iterator for MadeChunks {
    type Item = Vec<u8>;

    fn next(&mut self) -> Option<Vec<u8>> {
        let end = self.file.size.min(self.made + self.chunk);
        if end <= self.made {
            return None;
        }
        let mut bytes = Vec::with_capacity(end - self.made);
        let head = &self.file.head;
        if self.made < head.len() {
            bytes.extend_from_slice(&head[self.made..head.len().min(end)]);
        }
        let take = self.spare.len().min(end - self.made - bytes.len());
        bytes.extend(self.spare.drain(..take));
        while self.made + bytes.len() < end {
            self.state ^= self.state >> 12;
            self.state ^= self.state << 25;
            self.state ^= self.state >> 27;
            let word = self.state.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes();
            let take = word.len().min(end - self.made - bytes.len());
            bytes.extend_from_slice(&word[..take]);
            self.spare.extend_from_slice(&word[take..]);
        }
        self.made = end;
        Some(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_and_pseudo_random_content() {
        assert_eq!(md5_hex(b""), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(md5_hex(b"abc"), "900150983cd24fb0d6963f7d28e17f72");
        let one = pseudo_random(b"%PDF", 40 * 1024, "seed");
        assert_eq!(one.len(), 40 * 1024);
        assert!(one.starts_with(b"%PDF"));
        assert_eq!(one, pseudo_random(b"%PDF", 40 * 1024, "seed"));
        assert_ne!(md5_hex(&one), md5_hex(&pseudo_random(b"%PDF", 40 * 1024, "other")));
        assert_eq!(pseudo_random(b"long head", 3, "x"), b"lon");
    }

    /// The bytes as they were made whole before files were made chunk by
    /// chunk: every chunking gives them, and the digest is theirs.
    #[test]
    fn made_files_are_the_same_bytes_in_any_chunks() {
        fn whole(head: &[u8], size: usize, seed: &str) -> Vec<u8> {
            let mut state = seed
                .bytes()
                .fold(0x9E37_79B9_7F4A_7C15u64, |state, byte| (state ^ u64::from(byte)).wrapping_mul(0x0100_0000_01B3))
                | 1;
            let mut bytes = head[..head.len().min(size)].to_vec();
            while bytes.len() < size {
                state ^= state >> 12;
                state ^= state << 25;
                state ^= state >> 27;
                let word = state.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes();
                let take = word.len().min(size - bytes.len());
                bytes.extend_from_slice(&word[..take]);
            }
            bytes
        }
        for (head, size) in [(&b"%PDF-1.4\n"[..], 40 * 1024 + 3), (&b""[..], 1000), (&b"GIF89a"[..], 5), (&b""[..], 0)]
        {
            let made = MadeFile::new(head, size, "seed");
            let expected = whole(head, size, "seed");
            assert_eq!(made.bytes(), expected);
            for chunk in [1, 3, 7, 8, 13, 4096, 64 * 1024] {
                let chunks: Vec<Vec<u8>> = made.chunks(chunk).collect();
                assert!(chunks.iter().all(|part| part.len() <= chunk && !part.is_empty()));
                assert_eq!(chunks.concat(), expected, "head {head:?}, size {size}, chunks of {chunk}");
            }
            let digest = made.digest();
            assert_eq!((digest.size(), digest.md5()), (size, Some(md5_hex(&expected))));
        }
        assert_eq!(MadeFile::of(b"abc").digest().md5().as_deref(), Some("900150983cd24fb0d6963f7d28e17f72"));
        let mut counted = Digest::counting();
        counted.add(b"abc");
        assert_eq!((counted.size(), counted.md5()), (3, None));
        assert_eq!(MadeFile::of(b"abc").chunks(2).collect::<Vec<_>>(), vec![b"ab".to_vec(), b"c".to_vec()]);
    }

    #[test]
    fn base64_box_round_trips() {
        let sent = FileBox::from_bytes("report.pdf", b"%PDF-1.4");
        let parsed = FileBox::parse(&sent.to_json()).unwrap();
        assert_eq!(parsed, sent);
        assert_eq!(parsed.inline_bytes().unwrap(), b"%PDF-1.4");
    }

    #[test]
    fn old_boxes_with_only_box_type_parse() {
        let parsed = FileBox::parse(r#"{"boxType":2,"name":"a.png","url":"http://127.0.0.1/a.png"}"#).unwrap();
        assert_eq!(parsed.payload, Payload::Url("http://127.0.0.1/a.png".into()));
    }

    #[test]
    fn broken_boxes_say_what_is_missing() {
        assert_eq!(FileBox::parse(r#"{"type":1,"base64":"AA=="}"#), Err(FileBoxError::NoName));
        assert_eq!(FileBox::parse(r#"{"name":"x"}"#), Err(FileBoxError::NoType));
        assert_eq!(
            FileBox::parse(r#"{"type":7,"name":"x"}"#),
            Err(FileBoxError::NoPayload { box_type: 7, key: "uuid" })
        );
        assert!(matches!(FileBox::parse("garbage"), Err(FileBoxError::NotJson(_))));
        assert_eq!(FileBox::parse("[]"), Err(FileBoxError::NotObject));
        assert!(matches!(FileBox::parse(r#"{"type":99,"name":"x.bin"}"#).unwrap().payload, Payload::Unreadable));
    }

    #[test]
    fn names_map_to_mime_types_case_insensitively() {
        assert_eq!(mime_of_name("Report.PDF"), (Some("pdf".into()), Some("application/pdf".into())));
        assert_eq!(mime_of_name("photo.jpeg").1.as_deref(), Some("image/jpeg"));
        assert_eq!(mime_of_name("photo"), (None, None));
        assert_eq!(mime_of_name("README").1, None);
        assert_eq!(mime_of_name("voice.silk").1, None);
        assert_eq!(mime_of_name(".hidden").1, None);
    }

    #[test]
    fn preferred_extensions_map_back_to_their_type() {
        for mime in ["application/pdf", "image/jpeg", "image/png", "video/mp4", "text/plain"] {
            let extension = preferred_extension(mime).unwrap();
            assert_eq!(mime_of_name(&format!("x.{extension}")).1.as_deref(), Some(mime), "{extension}");
            assert!(extension_fits(mime, &extension));
        }
        assert!(extension_fits("image/jpeg", "JPEG"));
        assert!(!extension_fits("image/jpeg", "png"));
    }
}
