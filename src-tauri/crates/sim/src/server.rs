//! An HTTP server on 127.0.0.1 that can be stopped and started again on the same port, killing
//! every open connection (watches included) the way an apiserver restart does.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use axum::Router;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};

use crate::faults::Faults;

pub struct SimServer {
    addr: SocketAddr,
    router: Router,
    faults: Faults,
    tls: Option<Arc<rustls::ServerConfig>>,
    running: Mutex<Option<Running>>,
}

struct Running {
    stop: CancellationToken,
    task: JoinHandle<()>,
    /// Owns the listening socket: awaited on stop so the port is free for `resume`.
    accept: JoinHandle<()>,
}

impl SimServer {
    /// Serves `router` over plain HTTP on a free loopback port.
    pub async fn start(router: Router, faults: Faults) -> io::Result<Self> {
        Self::bind(router, faults, None).await
    }

    /// Serves `router` over HTTPS with the given identity on a free loopback port.
    pub async fn start_tls(
        router: Router,
        faults: Faults,
        tls: Arc<rustls::ServerConfig>,
    ) -> io::Result<Self> {
        Self::bind(router, faults, Some(tls)).await
    }

    async fn bind(
        router: Router,
        faults: Faults,
        tls: Option<Arc<rustls::ServerConfig>>,
    ) -> io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let server = Self {
            addr,
            router,
            faults,
            tls,
            running: Mutex::new(None),
        };
        server.serve(listener);
        Ok(server)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn url(&self) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    fn serve(&self, listener: TcpListener) {
        let stop = CancellationToken::new();
        let (tx, rx) = mpsc::channel(64);
        let accept = tokio::spawn(accept_loop(
            listener,
            self.faults.clone(),
            self.tls.clone(),
            stop.clone(),
            tx,
        ));
        let listener = ChannelListener {
            rx,
            addr: self.addr,
        };
        let router = self.router.clone();
        let graceful = stop.clone();
        let task = tokio::spawn(async move {
            let served = axum::serve(listener, router)
                .with_graceful_shutdown(async move { graceful.cancelled().await })
                .await;
            if let Err(e) = served {
                tracing::warn!(error = %e, "simulated server stopped with an error");
            }
        });
        *self.running.lock().unwrap_or_else(|p| p.into_inner()) =
            Some(Running { stop, task, accept });
    }

    /// Stops accepting and closes every open connection.
    pub async fn stop(&self) {
        let running = self
            .running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(running) = running {
            running.stop.cancel();
            let _ = running.task.await;
            let _ = running.accept.await;
        }
    }

    /// Starts serving again on the same address after [`SimServer::stop`].
    pub async fn resume(&self) -> io::Result<()> {
        let listener = TcpListener::bind(self.addr).await?;
        self.serve(listener);
        Ok(())
    }

    /// Stop, then serve again on the same port: clients see their connections die and must
    /// reconnect, as after a real server restart. State is kept.
    pub async fn restart(&self) -> io::Result<()> {
        self.stop().await;
        self.resume().await
    }
}

impl Drop for SimServer {
    fn drop(&mut self) {
        if let Some(running) = self
            .running
            .get_mut()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            running.stop.cancel();
            running.task.abort();
            running.accept.abort();
        }
    }
}

/// Accepts TCP connections until stopped, drops those the fault plan says to drop, and hands
/// the rest (after their TLS handshake, done off the accept path) to the HTTP server.
async fn accept_loop(
    listener: TcpListener,
    faults: Faults,
    tls: Option<Arc<rustls::ServerConfig>>,
    stop: CancellationToken,
    tx: mpsc::Sender<(Conn, SocketAddr)>,
) {
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
    loop {
        let accepted = tokio::select! {
            _ = stop.cancelled() => return,
            accepted = listener.accept() => accepted,
        };
        let (stream, addr) = match accepted {
            Ok(a) => a,
            // Transient accept errors (e.g. too many open files): back off briefly.
            Err(_) => {
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            }
        };
        if faults.take_dropped_connection() {
            drop(stream);
            continue;
        }
        let _ = stream.set_nodelay(true);
        let stream = StoppableStream {
            inner: stream,
            stop: Box::pin(stop.clone().cancelled_owned()),
            faults: faults.clone(),
            thaw: None,
        };
        let tx = tx.clone();
        match &acceptor {
            None => {
                if tx.send((Conn::Plain(stream), addr)).await.is_err() {
                    return;
                }
            }
            Some(acceptor) => {
                let handshake = acceptor.accept(stream);
                let faults = faults.clone();
                tokio::spawn(async move {
                    // A frozen server's handshake takes as long as the freeze, as a stopped
                    // process's would: its time limit starts at the thaw.
                    if let Some(thawed) = faults.thawed() {
                        thawed.await;
                    }
                    let timeout = std::time::Duration::from_secs(10);
                    if let Ok(Ok(tls)) = tokio::time::timeout(timeout, handshake).await {
                        let _ = tx.send((Conn::Tls(Box::new(tls)), addr)).await;
                    }
                });
            }
        }
    }
}

struct ChannelListener {
    rx: mpsc::Receiver<(Conn, SocketAddr)>,
    addr: SocketAddr,
}

impl axum::serve::Listener for ChannelListener {
    type Io = Conn;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.rx.recv().await {
            Some(conn) => conn,
            // The accept loop has stopped: never yield again; graceful shutdown ends serve.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(self.addr)
    }
}

/// One accepted connection, plain or TLS.
pub enum Conn {
    Plain(StoppableStream),
    Tls(Box<tokio_rustls::server::TlsStream<StoppableStream>>),
}

impl AsyncRead for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_flush(cx),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// A TCP stream that fails every read and write once its server has stopped, and stalls them
/// while its server is frozen ([`Faults::freeze`]). hyper polls reads even while streaming a
/// response, so idle watches are closed too.
pub struct StoppableStream {
    inner: TcpStream,
    stop: Pin<Box<WaitForCancellationFutureOwned>>,
    faults: Faults,
    /// While frozen: the thaw this stream waits for.
    thaw: Option<Pin<Box<WaitForCancellationFutureOwned>>>,
}

impl StoppableStream {
    fn stopped(&mut self, cx: &mut Context<'_>) -> bool {
        self.stop.as_mut().poll(cx).is_ready()
    }

    /// Whether the server is frozen; if so, `cx` is woken at the thaw.
    fn frozen(&mut self, cx: &mut Context<'_>) -> bool {
        loop {
            if let Some(thaw) = self.thaw.as_mut() {
                if thaw.as_mut().poll(cx).is_pending() {
                    return true;
                }
                self.thaw = None;
            }
            // Frozen again since (or for the first time): wait for that thaw.
            match self.faults.thawed() {
                Some(thaw) => self.thaw = Some(Box::pin(thaw)),
                None => return false,
            }
        }
    }
}

fn server_stopped() -> io::Error {
    io::Error::new(io::ErrorKind::ConnectionReset, "simulated server stopped")
}

impl AsyncRead for StoppableStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.stopped(cx) {
            return Poll::Ready(Err(server_stopped()));
        }
        if self.frozen(cx) {
            return Poll::Pending;
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for StoppableStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.stopped(cx) {
            return Poll::Ready(Err(server_stopped()));
        }
        if self.frozen(cx) {
            return Poll::Pending;
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.frozen(cx) {
            return Poll::Pending;
        }
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Renders a fault decision's delay; each server then answers `fail_with` in its own dialect.
pub async fn apply_delay(decision: &crate::faults::Decision) {
    if !decision.delay.is_zero() {
        tokio::time::sleep(decision.delay).await;
    }
}

#[cfg(test)]
mod tests {
    use axum::routing::get;

    use super::*;

    async fn get_text(url: &str) -> io::Result<String> {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let addr = url.trim_start_matches("http://");
        let mut s = TcpStream::connect(addr).await?;
        s.write_all(
            format!("GET / HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n\r\n").as_bytes(),
        )
        .await?;
        let mut out = String::new();
        s.read_to_string(&mut out).await?;
        Ok(out)
    }

    #[tokio::test]
    async fn restart_keeps_the_port_and_drops_connections() {
        let router = Router::new().route("/", get(|| async { "hello" }));
        let server = SimServer::start(router, Faults::default()).await.unwrap();
        assert!(get_text(&server.url()).await.unwrap().ends_with("hello"));

        server.stop().await;
        assert!(TcpStream::connect(server.addr()).await.is_err());
        server.resume().await.unwrap();
        assert!(get_text(&server.url()).await.unwrap().ends_with("hello"));
    }

    #[tokio::test]
    async fn a_frozen_server_answers_nothing_until_thawed() {
        let router = Router::new().route("/", get(|| async { "hello" }));
        let server = SimServer::start(router, Faults::default()).await.unwrap();
        server.faults().freeze();
        let url = server.url();
        let asked = tokio::spawn(async move { get_text(&url).await });
        // Not a measure of speed: an unfrozen loopback answer takes far less than this, so a
        // request still unanswered after it was held.
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert!(!asked.is_finished(), "a frozen server answered");
        server.faults().thaw();
        assert!(asked.await.unwrap().unwrap().ends_with("hello"));
    }

    #[tokio::test]
    async fn dropped_connections_get_no_answer() {
        let router = Router::new().route("/", get(|| async { "hello" }));
        let server = SimServer::start(router, Faults::default()).await.unwrap();
        server.faults().drop_next_connections(1);
        let first = get_text(&server.url()).await.unwrap_or_default();
        assert!(first.is_empty(), "{first}");
        assert!(get_text(&server.url()).await.unwrap().ends_with("hello"));
    }
}
