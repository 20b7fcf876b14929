//! The frame reader and the watch, frame by frame.

use super::*;

fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let length = payload.len() as u32;
    let mut bytes = length.to_be_bytes()[1..].to_vec();
    bytes.extend([kind, flags]);
    bytes.extend(stream.to_be_bytes());
    bytes.extend(payload);
    bytes
}

fn settings(pairs: &[(u16, u32)]) -> Vec<u8> {
    let payload: Vec<u8> =
        pairs.iter().flat_map(|(id, value)| id.to_be_bytes().into_iter().chain(value.to_be_bytes())).collect();
    frame(SETTINGS, 0, 0, &payload)
}

/// Feeds `bytes` one byte at a time: frames split anywhere still read.
fn trickle(reader: &mut FrameReader, bytes: &[u8], side: Side, watch: &Http2Watch) {
    for byte in bytes {
        reader.feed(std::slice::from_ref(byte), side, watch);
    }
}

#[test]
fn a_call_behind_the_servers_stream_limit_never_left() {
    let watch = Http2Watch::default();
    watch.connected();
    let mut server = FrameReader::new(Side::Server);
    let mut client = FrameReader::new(Side::Client);
    trickle(&mut server, &settings(&[(SETTINGS_MAX_CONCURRENT_STREAMS, 1)]), Side::Server, &watch);
    let mut opening = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    opening.extend(frame(HEADERS, 0, 1, &[0; 20]));
    opening.extend(frame(DATA, END_STREAM, 1, &[0; 5]));
    trickle(&mut client, &opening, Side::Client, &watch);
    let before = watch.seen();
    assert_eq!((before.open_streams, before.requests_sent), (1, 1));
    assert_eq!(watch.stuck(&before), Some(Stuck::StreamLimit { max: 1, open: 1 }));
    // The stream's answer ends it: a next call would have gone out.
    server.feed(&frame(HEADERS, END_STREAM, 1, &[0; 3]), Side::Server, &watch);
    assert_eq!(watch.stuck(&before), Some(Stuck::NotSent));
    client.feed(&frame(HEADERS, 0, 3, &[0; 20]), Side::Client, &watch);
    client.feed(&frame(DATA, END_STREAM, 3, &[0; 5]), Side::Client, &watch);
    assert_eq!(watch.stuck(&before), None, "its request went out: the service said nothing");
}

#[test]
fn no_window_and_no_stream_are_told_apart() {
    let watch = Http2Watch::default();
    watch.connected();
    let mut server = FrameReader::new(Side::Server);
    server.feed(&settings(&[(SETTINGS_INITIAL_WINDOW_SIZE, 0)]), Side::Server, &watch);
    let before = watch.seen();
    let mut client = FrameReader::new(Side::Client);
    client.feed(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", Side::Client, &watch);
    client.feed(&frame(HEADERS, 0, 1, &[0; 20]), Side::Client, &watch);
    assert_eq!(watch.stuck(&before), Some(Stuck::NoStreamWindow));
    server.feed(&settings(&[(SETTINGS_MAX_CONCURRENT_STREAMS, 0)]), Side::Server, &watch);
    assert_eq!(watch.stuck(&before), Some(Stuck::NoStreams));
}

#[test]
fn a_goaway_is_read_with_its_code_and_debug_data() {
    let watch = Http2Watch::default();
    watch.connected();
    let before = watch.seen();
    let mut payload = 7u32.to_be_bytes().to_vec();
    payload.extend(0xbu32.to_be_bytes());
    payload.extend(b"calm down");
    FrameReader::new(Side::Server).feed(&frame(GOAWAY, 0, 0, &payload), Side::Server, &watch);
    let Some(Stuck::GoAway(goaway)) = watch.stuck(&before) else { panic!("a GOAWAY") };
    assert_eq!((goaway.code, goaway.last_stream_id, goaway.debug.as_str()), (0xb, 7, "calm down"));
    let said = goaway.to_string();
    assert!(said.contains("ENHANCE_YOUR_CALM") && said.contains("calm down"), "{said}");
}

#[test]
fn the_connection_window_counts_data_sent_and_updates() {
    let watch = Http2Watch::default();
    watch.connected();
    let mut client = FrameReader::new(Side::Client);
    client.feed(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", Side::Client, &watch);
    let before = watch.seen();
    client.feed(&frame(HEADERS, 0, 1, &[]), Side::Client, &watch);
    for _ in 0..4 {
        client.feed(&frame(DATA, 0, 1, &[0; 16_384]), Side::Client, &watch);
    }
    assert_eq!(watch.seen().connection_window, 65_535 - 4 * 16_384);
    let mut server = FrameReader::new(Side::Server);
    server.feed(&frame(WINDOW_UPDATE, 0, 0, &100_000u32.to_be_bytes()), Side::Server, &watch);
    assert_eq!(watch.seen().connection_window, 65_535 - 4 * 16_384 + 100_000);
    assert_eq!(watch.stuck(&before), None);
}

#[test]
fn a_window_that_stopped_opening_is_not_blamed_on_settings() {
    let watch = Http2Watch::default();
    watch.connected();
    let mut client = FrameReader::new(Side::Client);
    client.feed(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", Side::Client, &watch);
    client.feed(&frame(HEADERS, 0, 1, &[]), Side::Client, &watch);
    for _ in 0..3 {
        client.feed(&frame(DATA, 0, 1, &[0; 16_384]), Side::Client, &watch);
    }
    client.feed(&frame(DATA, 0, 1, &[0; 16_383]), Side::Client, &watch);
    let before = watch.seen();
    assert_eq!(watch.stuck(&before), Some(Stuck::NoConnectionWindow { left: 0 }), "never opened: its settings");
    let mut server = FrameReader::new(Side::Server);
    server.feed(&frame(WINDOW_UPDATE, 0, 0, &65_535u32.to_be_bytes()), Side::Server, &watch);
    for _ in 0..3 {
        client.feed(&frame(DATA, 0, 1, &[0; 16_384]), Side::Client, &watch);
    }
    client.feed(&frame(DATA, 0, 1, &[0; 16_383]), Side::Client, &watch);
    let before = watch.seen();
    client.feed(&frame(HEADERS, 0, 3, &[]), Side::Client, &watch);
    assert_eq!(watch.seen().connection_window, 0);
    assert_eq!(watch.stuck(&before), None, "it opened the window once: a frozen service, told by the probe");
}

#[test]
fn huge_kept_frames_are_cut_and_the_stream_stays_in_step() {
    let watch = Http2Watch::default();
    watch.connected();
    let mut server = FrameReader::new(Side::Server);
    let mut payload = 1u32.to_be_bytes().to_vec();
    payload.extend(0u32.to_be_bytes());
    payload.extend(vec![b'x'; 100_000]);
    server.feed(&frame(GOAWAY, 0, 0, &payload), Side::Server, &watch);
    server.feed(&settings(&[(SETTINGS_MAX_CONCURRENT_STREAMS, 9)]), Side::Server, &watch);
    let seen = watch.seen();
    assert_eq!(seen.goaway.map(|goaway| goaway.debug.len()), Some(KEPT_PAYLOAD - 8));
    assert_eq!(seen.max_concurrent_streams, Some(9));
}

#[test]
fn the_largest_header_block_counts_its_continuations() {
    let watch = Http2Watch::default();
    watch.connected();
    let mut server = FrameReader::new(Side::Server);
    server.feed(&frame(HEADERS, 0, 1, &[0; 16_384]), Side::Server, &watch);
    server.feed(&frame(CONTINUATION, 0, 1, &[0; 16_384]), Side::Server, &watch);
    assert_eq!(watch.seen().largest_header_block, 32_768, "counted before the block ends");
    server.feed(&frame(CONTINUATION, END_HEADERS, 1, &[0; 100]), Side::Server, &watch);
    server.feed(&frame(HEADERS, END_HEADERS, 3, &[0; 50]), Side::Server, &watch);
    assert_eq!(watch.seen().largest_header_block, 32_868);
    assert_eq!(watch.seen().large_header_blocks, 1, "one block grew past the limit");
}
