//! The connection under the channel, watched as it passes: how the server first answered (its first bytes, or its
//! hanging up, or a TLS alert), and every HTTP/2 frame, for the [`Http2Watch`].

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::http2::{FrameReader, Http2Watch, Side};
use super::tls::Mismatch;

/// How far a connection got: TCP connected; the server's first bytes
/// (past TLS), or its hanging up before any.
#[derive(Default)]
pub(super) struct Progress {
    pub(super) tcp: AtomicBool,
    /// TLS was done and agreed on no ALPN protocol (the server offered no
    /// `h2`, nor refused: it just chose none).
    pub(super) no_alpn: AtomicBool,
    /// Set once the first read ends: bytes, or the end of the connection.
    settled: AtomicBool,
    heard: std::sync::Mutex<Option<Heard>>,
    notify: tokio::sync::Notify,
}

/// What the first read from the server gave.
#[derive(Debug, Clone)]
pub(super) enum Heard {
    /// The first bytes read (up to 16).
    Bytes(Vec<u8>),
    /// The connection ended (EOF, a reset) before any byte: how.
    Closed(String),
    /// TLS ended it with an alert after the handshake (TLS 1.3 servers
    /// refuse a client certificate, or its absence, only then).
    Mismatch(Mismatch),
}

impl Progress {
    pub(super) async fn wait_heard(&self) -> Heard {
        loop {
            let notified = self.notify.notified();
            if let Some(heard) = self.heard.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone() {
                return heard;
            }
            notified.await;
        }
    }

    /// The first read's outcome, once.
    fn settle(&self, heard: Heard) {
        if !self.settled.load(Ordering::Relaxed) && !self.settled.swap(true, Ordering::SeqCst) {
            *self.heard.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(heard);
            self.notify.notify_waiters();
        }
    }
}

/// A connection that tells [`Progress`] how the server first answered, and
/// the [`Http2Watch`] every frame that passes.
pub(super) struct Listened {
    inner: Box<dyn Io>,
    progress: Arc<Progress>,
    watch: Arc<Http2Watch>,
    from_server: FrameReader,
    from_client: FrameReader,
}

impl Listened {
    /// A fresh connection: the watch starts its HTTP/2 state afresh.
    pub(super) fn new(inner: Box<dyn Io>, progress: Arc<Progress>, watch: Arc<Http2Watch>) -> Listened {
        watch.connected();
        Listened {
            inner,
            progress,
            watch,
            from_server: FrameReader::new(Side::Server),
            from_client: FrameReader::new(Side::Client),
        }
    }

    /// The first `written` bytes of `buffers` left for the server.
    fn wrote(&mut self, buffers: &[io::IoSlice<'_>], mut written: usize) {
        self.watch.wrote(written);
        for buffer in buffers {
            if written == 0 {
                break;
            }
            let part = &buffer[..buffer.len().min(written)];
            self.from_client.feed(part, Side::Client, &self.watch);
            written -= part.len();
        }
    }
}

impl tokio::io::AsyncRead for Listened {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        context: &mut std::task::Context<'_>,
        buffer: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<io::Result<()>> {
        let before = buffer.filled().len();
        let polled = std::pin::Pin::new(&mut self.inner).poll_read(context, buffer);
        match &polled {
            std::task::Poll::Ready(Ok(())) if buffer.filled().len() > before => {
                let this = &mut *self;
                let read = &buffer.filled()[before..];
                this.progress.settle(Heard::Bytes(read[..read.len().min(16)].to_vec()));
                this.from_server.feed(read, Side::Server, &this.watch);
            }
            std::task::Poll::Ready(Ok(())) => self.progress.settle(Heard::Closed(String::new())),
            std::task::Poll::Ready(Err(error)) => self.progress.settle(closed(error)),
            std::task::Poll::Pending => {}
        }
        polled
    }
}

/// How a connection that failed before the server's first frame ended.
fn closed(error: &io::Error) -> Heard {
    match Mismatch::find(error) {
        Some(mismatch) => Heard::Mismatch(mismatch),
        None => Heard::Closed(error.to_string()),
    }
}

impl Listened {
    /// A write failed before the server said anything: a TLS alert may be
    /// waiting to be read (a TLS 1.3 server that refuses the client's
    /// certificate sends it after the handshake), and says more than the
    /// broken pipe.
    /// Frames the server sent before it hung up (a GOAWAY saying why) are
    /// read too, for the watch.
    fn failed_write(&mut self, context: &mut std::task::Context<'_>, error: &io::Error) {
        let mut scratch = [0u8; 4096];
        for _ in 0..16 {
            let mut buffer = tokio::io::ReadBuf::new(&mut scratch);
            match tokio::io::AsyncRead::poll_read(std::pin::Pin::new(&mut self.inner), context, &mut buffer) {
                std::task::Poll::Ready(Ok(())) if !buffer.filled().is_empty() => {
                    let read = buffer.filled().len();
                    self.from_server.feed(&scratch[..read], Side::Server, &self.watch);
                }
                std::task::Poll::Ready(Err(read)) => {
                    if let Some(mismatch) = Mismatch::find(&read) {
                        self.progress.settle(Heard::Mismatch(mismatch));
                        return;
                    }
                    break;
                }
                _ => break,
            }
        }
        self.progress.settle(closed(error));
    }
}

impl Drop for Listened {
    /// A connection given up before the server said anything (hyper drops
    /// it after a failed write) ended without an answer.
    fn drop(&mut self) {
        self.progress.settle(Heard::Closed(String::new()));
    }
}

impl tokio::io::AsyncWrite for Listened {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        context: &mut std::task::Context<'_>,
        bytes: &[u8],
    ) -> std::task::Poll<io::Result<usize>> {
        let polled = std::pin::Pin::new(&mut self.inner).poll_write(context, bytes);
        match &polled {
            std::task::Poll::Ready(Ok(written)) => self.wrote(&[io::IoSlice::new(bytes)], *written),
            // A peer that hung up may fail our preface before we read anything.
            std::task::Poll::Ready(Err(error)) => self.failed_write(context, error),
            std::task::Poll::Pending => {}
        }
        polled
    }

    fn poll_write_vectored(
        mut self: std::pin::Pin<&mut Self>,
        context: &mut std::task::Context<'_>,
        buffers: &[io::IoSlice<'_>],
    ) -> std::task::Poll<io::Result<usize>> {
        let polled = std::pin::Pin::new(&mut self.inner).poll_write_vectored(context, buffers);
        match &polled {
            std::task::Poll::Ready(Ok(written)) => self.wrote(buffers, *written),
            std::task::Poll::Ready(Err(error)) => self.failed_write(context, error),
            std::task::Poll::Pending => {}
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        context: &mut std::task::Context<'_>,
    ) -> std::task::Poll<io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_flush(context)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        context: &mut std::task::Context<'_>,
    ) -> std::task::Poll<io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_shutdown(context)
    }
}

/// Anything the connector can hand to hyper.
pub trait Io: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static> Io for T {}
