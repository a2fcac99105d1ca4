//! The protocol steps every client takes the same way, without I/O of
//! their own: the capabilities negotiation and the write of a request
//! with file descriptors attached. The async and the blocking clients
//! differ in how they wait (a reactor, `poll`), not in what they send;
//! framing (`framing`), request lines and reply decoding (`common`) are
//! shared the same way, and so is the classification of each line (whose
//! reply, which event) that routing starts from.

#[cfg(doc)]
use crate::Config;
use crate::{Error, Greeting};
use std::os::fd::{AsFd, BorrowedFd};

/// The `qmp_capabilities` request for `greeting` (with `id`, when the
/// client numbers it), and whether it enables out-of-band execution:
/// when both the client (`want_oob`, [`Config::oob`]) and the server
/// want it.
pub(crate) fn negotiation(
    greeting: &Greeting,
    want_oob: bool,
    id: Option<u64>,
) -> Result<(Vec<u8>, bool), Error> {
    let oob = want_oob
        && greeting
            .capabilities
            .contains(&qmp_types::QMPCapability::Oob);
    let enable: &[&str] = if oob { &["oob"] } else { &[] };
    let msg = serde_json::json!({ "enable": enable });
    let line = crate::common::request_line("qmp_capabilities", Some(&msg), false, id)?;
    Ok((line, oob))
}

/// One send of the rest of `buf` (from `sent`) on the Unix socket `fd`:
/// the first, when `sent` is 0, carries `fds` (SCM_RIGHTS), so that the
/// descriptors travel with the request's first byte. Returns how many
/// bytes went; `AGAIN` means the socket has no room (the caller waits its
/// way and tries again).
pub(crate) fn send_some(
    fd: impl AsFd,
    buf: &[u8],
    sent: usize,
    fds: &[BorrowedFd<'_>],
    flags: rustix::net::SendFlags,
) -> Result<usize, SendError> {
    use rustix::net::{SendAncillaryBuffer, SendAncillaryMessage, send, sendmsg};
    if sent == 0 && !fds.is_empty() {
        let mut space =
            vec![std::mem::MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(fds.len()))];
        let mut control = SendAncillaryBuffer::new(&mut space);
        if !control.push(SendAncillaryMessage::ScmRights(fds)) {
            return Err(SendError::TooManyFds);
        }
        sendmsg(fd, &[std::io::IoSlice::new(buf)], &mut control, flags).map_err(SendError::Os)
    } else {
        send(fd, &buf[sent..], flags).map_err(SendError::Os)
    }
}

/// Why [`send_some`] sent nothing.
pub(crate) enum SendError {
    /// More descriptors than one message carries.
    TooManyFds,
    /// The system's error (`INTR` and `AGAIN` among them).
    Os(rustix::io::Errno),
}

impl SendError {
    /// As the client reports it (for the errors a caller does not retry).
    #[cfg(feature = "blocking")]
    pub(crate) fn into_error(self) -> Error {
        match self {
            SendError::TooManyFds => {
                Error::NotAllowed("too many file descriptors for one message".into())
            }
            SendError::Os(e) => std::io::Error::from(e).into(),
        }
    }
}
