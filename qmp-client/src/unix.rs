//! The Unix socket of the async client, watched by the reactor for
//! reading only.
//!
//! tokio's `UnixStream` registers its socket for both reading and
//! writing, edge-triggered. Then every request the server reads makes the
//! socket writable again, which wakes the reactor a second time per call
//! for nothing: on a VM, where each wake-up is a costly context switch,
//! that doubled the client's CPU per call. Here the reactor only watches
//! for input. Writes go straight to the (non-blocking) socket: a QMP
//! request fits in the socket's buffer, and in the rare case it does not
//! (a server that stopped reading) the writer retries with a growing
//! pause instead of waiting for a readiness event it does not ask for.

use std::io::{self, Read};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::net::UnixStream;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;
use tokio::io::unix::AsyncFd;
use tokio::io::{AsyncRead, Interest, ReadBuf};

/// The socket, shared by the read and the write side.
pub(crate) type Socket = Arc<AsyncFd<UnixStream>>;

/// Takes over a connected socket.
pub(crate) fn register(stream: tokio::net::UnixStream) -> io::Result<Socket> {
    let std = stream.into_std()?;
    std.set_nonblocking(true)?;
    // The crate's one `unsafe`: tokio asks the caller to promise that the
    // descriptor stays open and the same for the registration's life.
    // `UnixStream` owns its descriptor and always returns it, and the
    // `AsyncFd` owns the stream, so the promise holds.
    #[allow(unsafe_code)]
    let fd = unsafe { AsyncFd::register_with_interest(std, Interest::READABLE) }
        .map_err(io::Error::from)?;
    Ok(Arc::new(fd))
}

/// The read side, for the reader task.
pub(crate) struct Reader(pub(crate) Socket);

impl AsyncRead for Reader {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        loop {
            let mut guard = ready!(self.0.poll_read_ready(cx))?;
            let unfilled = buf.initialize_unfilled();
            let wanted = unfilled.len();
            match guard.try_io(|fd| fd.get_ref().read(unfilled)) {
                Ok(Ok(n)) => {
                    // A short read emptied the socket: the next read
                    // would only say "try again" (as tokio's own streams
                    // assume too).
                    if n > 0 && n < wanted {
                        guard.clear_ready();
                    }
                    buf.advance(n);
                    return Poll::Ready(Ok(()));
                }
                Ok(Err(e)) => return Poll::Ready(Err(e)),
                // Not ready after all: the guard cleared the readiness.
                Err(_) => {}
            }
        }
    }
}

/// Sends the rest of `buf` after `*sent` bytes, with `fds` (SCM_RIGHTS)
/// attached to its first byte when there are any. `*sent` follows the
/// progress, so that a caller dropped midway knows what is left.
pub(crate) async fn send(
    socket: &Socket,
    buf: &[u8],
    sent: &mut usize,
    fds: &[BorrowedFd<'_>],
) -> io::Result<()> {
    use crate::protocol::{SendError, send_some};
    let fd = socket.get_ref().as_fd();
    let mut pause = Duration::from_micros(100);
    while *sent < buf.len() {
        match send_some(fd, buf, *sent, fds, rustix::net::SendFlags::NOSIGNAL) {
            Ok(n) => {
                *sent += n;
                pause = Duration::from_micros(100);
            }
            Err(SendError::Os(rustix::io::Errno::INTR)) => {}
            // The server is not reading: wait and try again.
            Err(SendError::Os(rustix::io::Errno::AGAIN)) => {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_millis(50));
            }
            Err(SendError::TooManyFds) => {
                return Err(io::Error::other(
                    "too many file descriptors for one message",
                ));
            }
            Err(SendError::Os(e)) => return Err(e.into()),
        }
    }
    Ok(())
}

/// The write side. Dropping it shuts the socket down for writing (as
/// tokio's write half does), so that the server closes the connection and
/// the reader task, which holds the socket too, ends.
pub(crate) struct Writer(pub(crate) Socket);

impl Drop for Writer {
    fn drop(&mut self) {
        let _ = self.0.get_ref().shutdown(std::net::Shutdown::Write);
    }
}
