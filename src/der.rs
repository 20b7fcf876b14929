//! Just enough DER to read an AlgorithmIdentifier out of a certificate and to
//! write the X.509 v1 certificates the mock serves (as the official server does).

/// One TLV: its tag, its content, and the bytes after it.
pub struct Tlv<'a> {
    pub tag: u8,
    pub content: &'a [u8],
    pub rest: &'a [u8],
}

pub fn read(input: &[u8]) -> Option<Tlv<'_>> {
    let (&tag, input) = input.split_first()?;
    let (&first, input) = input.split_first()?;
    let (length, input) = if first < 0x80 {
        (usize::from(first), input)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 || input.len() < count {
            return None;
        }
        let (bytes, input) = input.split_at(count);
        (bytes.iter().fold(0usize, |length, byte| (length << 8) | usize::from(*byte)), input)
    };
    if input.len() < length {
        return None;
    }
    let (content, rest) = input.split_at(length);
    Some(Tlv { tag, content, rest })
}

pub const SEQUENCE: u8 = 0x30;
pub const SET: u8 = 0x31;
pub const INTEGER: u8 = 0x02;
pub const BIT_STRING: u8 = 0x03;
pub const UTF8_STRING: u8 = 0x0c;
pub const UTC_TIME: u8 = 0x17;
pub const GENERALIZED_TIME: u8 = 0x18;

/// The content of a certificate's outer `signatureAlgorithm` — the form
/// rustls' algorithm table compares against.
pub fn signature_algorithm_of_certificate(certificate: &[u8]) -> Option<&[u8]> {
    let certificate = read(certificate).filter(|tlv| tlv.tag == SEQUENCE)?;
    let tbs = read(certificate.content)?;
    read(tbs.rest).filter(|tlv| tlv.tag == SEQUENCE).map(|tlv| tlv.content)
}

pub fn write(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let length = content.len();
    if length < 0x80 {
        out.push(length as u8);
    } else {
        let bytes: Vec<u8> = length.to_be_bytes().into_iter().skip_while(|byte| *byte == 0).collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

pub fn sequence(parts: &[&[u8]]) -> Vec<u8> {
    write(SEQUENCE, &parts.concat())
}

/// A non-negative INTEGER from big-endian bytes.
pub fn unsigned_integer(bytes: &[u8]) -> Vec<u8> {
    let trimmed: Vec<u8> = bytes.iter().copied().skip_while(|byte| *byte == 0).collect();
    let mut content = if trimmed.is_empty() { vec![0] } else { trimmed };
    if content[0] & 0x80 != 0 {
        content.insert(0, 0);
    }
    write(INTEGER, &content)
}

pub fn bit_string(bytes: &[u8]) -> Vec<u8> {
    let mut content = vec![0];
    content.extend_from_slice(bytes);
    write(BIT_STRING, &content)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lengths_round_trip() {
        let content = vec![7u8; 300];
        let encoded = write(SEQUENCE, &content);
        assert_eq!(&encoded[..4], &[0x30, 0x82, 0x01, 0x2c]);
        let tlv = read(&encoded).unwrap();
        assert_eq!(tlv.content, &content[..]);
        assert!(tlv.rest.is_empty());
    }

    #[test]
    fn truncated_input_is_none_not_a_panic() {
        for input in [&[][..], &[0x30], &[0x30, 0x05, 1], &[0x30, 0x85, 1, 1, 1, 1, 1], &[0x30, 0x82, 0x01]] {
            assert!(read(input).is_none());
        }
    }

    #[test]
    fn integers_stay_positive() {
        assert_eq!(unsigned_integer(&[0x80]), vec![0x02, 0x02, 0x00, 0x80]);
        assert_eq!(unsigned_integer(&[0, 0, 5]), vec![0x02, 0x01, 0x05]);
        assert_eq!(unsigned_integer(&[]), vec![0x02, 0x01, 0x00]);
    }
}
