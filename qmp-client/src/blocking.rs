//! A blocking QMP client, for programs without an async runtime (feature
//! `blocking`; std only, no tokio).
//!
//! ```no_run
//! # fn demo() -> Result<(), qmp_client::Error> {
//! use qmp_types::cmd;
//! let mut client = qmp_client::blocking::Client::connect_unix("/run/qemu/qmp.sock")?;
//! let status = client.execute(&cmd::QueryStatus)?;
//! println!("{:?}", status.status);
//! # Ok(()) }
//! ```
//!
//! One call at a time (`&mut self`; share it behind a mutex). Events that
//! arrive while a call waits are kept, up to `Config::event_buffer` (the
//! oldest are dropped beyond, and [`Client::next_event`] reports the lag
//! once). A call that times out leaves its reply to come later; replies
//! that are not the current call's are dropped, so the connection stays
//! usable. Each command is written with a single write. Replies are
//! matched by id, or in-band ones by order with [`Config::match_by_order`].

use crate::common::{GreetingMessage, Head, Reply, decode_return, request_line};
use crate::{Config, Error, Greeting};
use qmp_types::{Command, EventMessage, EventSet, Events};
use serde_json::Value;
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, ErrorKind, Write};
use std::os::fd::BorrowedFd;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::{Duration, Instant};

/// A blocking connection to a QMP server.
pub struct Client<E = Events> {
    lines: Lines,
    writer: UnixStream,
    greeting: Greeting,
    oob: bool,
    config: Config,
    next_id: u64,
    events: VecDeque<EventMessage<E>>,
    lagged: u64,
    /// In-band calls matched by order that gave up before their reply
    /// came: the next replies without an id are theirs, and dropped.
    late: u64,
}

impl Client<Events> {
    /// Connects to a QMP server on a Unix socket, with default settings.
    pub fn connect_unix(path: impl AsRef<Path>) -> Result<Self, Error> {
        Self::connect_unix_with(path, Config::default())
    }
}

impl<E: EventSet> Client<E> {
    /// Connects to a QMP server on a Unix socket and negotiates
    /// capabilities (out-of-band execution when both sides want it).
    pub fn connect_unix_with(path: impl AsRef<Path>, config: Config) -> Result<Self, Error> {
        let stream = UnixStream::connect(path)?;
        let deadline = Instant::now() + config.connect_timeout;
        let mut lines = Lines {
            reader: BufReader::with_capacity(64 * 1024, stream.try_clone()?),
            buf: Vec::new(),
            max: config.max_line,
            timeout_set: false,
            skipping: false,
        };
        let line = lines.read(Some(deadline))?;
        let greeting: GreetingMessage = serde_json::from_str(&line)
            .map_err(|e| Error::protocol(format!("not a QMP greeting: {e}"), &line))?;
        let mut client = Client {
            lines,
            writer: stream,
            greeting: greeting.qmp,
            oob: false,
            next_id: 1,
            events: VecDeque::new(),
            lagged: 0,
            late: 0,
            config,
        };
        let oob = client.config.oob
            && client
                .greeting
                .capabilities
                .contains(&qmp_types::QMPCapability::Oob);
        let enable: Vec<&str> = if oob { vec!["oob"] } else { Vec::new() };
        let id = client.next();
        let msg = serde_json::json!({ "enable": enable });
        client.write(
            &request_line("qmp_capabilities", Some(&msg), false, Some(id))?,
            &[],
        )?;
        client.wait_reply(Some(id), Some(deadline))?;
        client.oob = oob;
        Ok(client)
    }

    /// The server's greeting.
    pub fn greeting(&self) -> &Greeting {
        &self.greeting
    }

    /// Whether out-of-band execution was negotiated.
    pub fn oob_enabled(&self) -> bool {
        self.oob
    }

    fn next(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// Runs a command and returns its typed result.
    pub fn execute<C: Command>(&mut self, command: &C) -> Result<C::Returns, Error> {
        self.execute_with_fds(command, &[])
    }

    /// Runs a command with file descriptors attached (SCM_RIGHTS), for
    /// `add-fd` and `getfd`.
    pub fn execute_with_fds<C: Command>(
        &mut self,
        command: &C,
        fds: &[BorrowedFd<'_>],
    ) -> Result<C::Returns, Error> {
        let args = C::HAS_ARGUMENTS.then_some(command);
        match self.call(C::NAME, args, false, C::SUCCESS_RESPONSE, fds)? {
            Some(reply) => {
                let result = reply.decode::<C::Returns>(C::NAME);
                self.recycle(reply);
                result
            }
            None => crate::common::no_reply(),
        }
    }

    /// Runs a command out-of-band.
    pub fn execute_oob<C: Command>(&mut self, command: &C) -> Result<C::Returns, Error> {
        if !C::ALLOW_OOB || !self.oob {
            return Err(Error::NotAllowed(format!(
                "{} cannot run out-of-band here",
                C::NAME
            )));
        }
        let args = C::HAS_ARGUMENTS.then_some(command);
        match self.call(C::NAME, args, true, C::SUCCESS_RESPONSE, &[])? {
            Some(reply) => reply.decode::<C::Returns>(C::NAME),
            None => decode_return::<C::Returns>(C::NAME, ""),
        }
    }

    /// Runs a command by name with JSON arguments; the result is the JSON
    /// `return` value.
    pub fn execute_raw(&mut self, name: &str, arguments: Option<Value>) -> Result<Value, Error> {
        match self.call(name, arguments.as_ref(), false, true, &[])? {
            Some(reply) => reply.decode::<Value>(name),
            None => decode_return::<Value>(name, ""),
        }
    }

    fn call<A: serde::Serialize + ?Sized>(
        &mut self,
        name: &str,
        arguments: Option<&A>,
        oob: bool,
        wants_reply: bool,
        fds: &[BorrowedFd<'_>],
    ) -> Result<Option<Reply>, Error> {
        // Out-of-band replies may overtake, and a command without a
        // success response may still send an error: those requests always
        // carry an id; other in-band replies come in order.
        let id = (oob || !wants_reply || !self.config.match_by_order).then(|| self.next());
        let line = request_line(name, arguments, oob, id)?;
        self.write(&line, fds)?;
        if !wants_reply {
            return Ok(None);
        }
        let deadline = self.config.call_timeout.map(|t| Instant::now() + t);
        self.wait_reply(id, deadline).map(Some)
    }

    /// Keeps the buffer of a reply that was decoded for the next line (a
    /// line is read into it without allocating again).
    fn recycle(&mut self, reply: Reply) {
        if self.lines.buf.capacity() == 0 {
            let mut buf = reply.line.into_bytes();
            buf.clear();
            self.lines.buf = buf;
        }
    }

    /// One write per command; descriptors go with the first bytes.
    fn write(&mut self, line: &[u8], fds: &[BorrowedFd<'_>]) -> Result<(), Error> {
        let mut sent = 0;
        if !fds.is_empty() {
            use rustix::net::{SendAncillaryBuffer, SendAncillaryMessage, SendFlags, sendmsg};
            let mut space =
                vec![std::mem::MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(fds.len()))];
            let mut control = SendAncillaryBuffer::new(&mut space);
            if !control.push(SendAncillaryMessage::ScmRights(fds)) {
                return Err(Error::NotAllowed(
                    "too many file descriptors for one message".into(),
                ));
            }
            sent = sendmsg(
                &self.writer,
                &[std::io::IoSlice::new(line)],
                &mut control,
                SendFlags::NOSIGNAL,
            )
            .map_err(std::io::Error::from)?;
        }
        self.writer.write_all(&line[sent..])?;
        Ok(())
    }

    /// Reads until the reply with `id`, or the next in-band reply that is
    /// not late when `id` is `None`; events are queued, other replies (to
    /// calls that gave up) dropped.
    fn wait_reply(&mut self, id: Option<u64>, deadline: Option<Instant>) -> Result<Reply, Error> {
        loop {
            let line = match self.read_line(deadline) {
                Ok(line) => line,
                Err(e) => {
                    if id.is_none() && matches!(e, Error::Timeout) {
                        // Its reply may still come: it is not the next
                        // call's. (Other errors consumed the reply, or
                        // ended the connection.)
                        self.late += 1;
                    }
                    return Err(e);
                }
            };
            let Ok(head) = Head::of(&line) else {
                continue;
            };
            if head.event.is_some() {
                self.queue_event(&line);
                continue;
            }
            let ours = match (id, head.id) {
                (Some(id), Some(_)) => head.id() == Some(id),
                (None, None) => !self.late_reply(),
                (Some(_), None) => {
                    self.late_reply();
                    false
                }
                // Not a call of ours that is waiting (an error reply to a
                // command without a success response).
                (None, Some(_)) => false,
            };
            if ours {
                let ret = Reply::return_range(&head, &line);
                return Ok(Reply { line, ret });
            }
        }
    }

    /// Whether a reply without an id belongs to a call that gave up (and
    /// so is dropped): counts it off.
    fn late_reply(&mut self) -> bool {
        if self.late > 0 {
            self.late -= 1;
            true
        } else {
            false
        }
    }

    fn queue_event(&mut self, line: &str) {
        if let Ok(msg) = serde_json::from_str::<EventMessage<E>>(line) {
            if self.events.len() >= self.config.event_buffer.max(1) {
                self.events.pop_front();
                self.lagged += 1;
            }
            self.events.push_back(msg);
        }
    }

    /// The next event (waiting up to `timeout`, or forever with `None`).
    /// [`Error::Lagged`] reports, once, events dropped because nobody
    /// read them while calls waited.
    pub fn next_event(&mut self, timeout: Option<Duration>) -> Result<EventMessage<E>, Error> {
        if self.lagged > 0 {
            let n = std::mem::take(&mut self.lagged);
            return Err(Error::Lagged(n));
        }
        let deadline = timeout.map(|t| Instant::now() + t);
        loop {
            if let Some(e) = self.events.pop_front() {
                return Ok(e);
            }
            let line = self.read_line(deadline)?;
            match Head::of(&line) {
                // A reply nobody waits for: a late one, when unnumbered.
                Ok(head) if head.event.is_none() => {
                    if head.id.is_none() {
                        self.late_reply();
                    }
                }
                _ => self.queue_event(&line),
            }
        }
    }

    /// Waits up to `timeout` for an event for which `matches` holds.
    pub fn wait_for_event(
        &mut self,
        timeout: Duration,
        matches: impl Fn(&EventMessage<E>) -> bool,
    ) -> Result<EventMessage<E>, Error> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(Error::Timeout);
            }
            match self.next_event(Some(left)) {
                Ok(e) if matches(&e) => return Ok(e),
                Ok(_) | Err(Error::Lagged(_)) => {}
                Err(e) => return Err(e),
            }
        }
    }

    fn read_line(&mut self, deadline: Option<Instant>) -> Result<String, Error> {
        self.lines.read(deadline)
    }
}

/// The read side: lines from the socket.
struct Lines {
    reader: BufReader<UnixStream>,
    /// The line being read. A line cut by a deadline stays here, and the
    /// next read goes on with it: a reply that was arriving when its call
    /// gave up is still read whole (and dropped as late), not taken for
    /// two.
    buf: Vec<u8>,
    /// The longest line accepted.
    max: usize,
    /// Whether a read timeout is set on the socket (so that it is only
    /// changed when needed: a syscall per line would double the cost of
    /// a call).
    timeout_set: bool,
    /// Whether the rest of an over-limit line is still to be skipped.
    skipping: bool,
}

impl Lines {
    /// One line, within the size limit and before the deadline. An
    /// over-limit line is an error once; the rest of it is skipped.
    fn read(&mut self, deadline: Option<Instant>) -> Result<String, Error> {
        let (reader, buf) = (&mut self.reader, &mut self.buf);
        loop {
            // Only a read that will block needs the socket's timeout.
            if reader.buffer().is_empty() {
                match deadline {
                    Some(d) => {
                        let left = d.saturating_duration_since(Instant::now());
                        if left.is_zero() {
                            return Err(Error::Timeout);
                        }
                        reader.get_ref().set_read_timeout(Some(left))?;
                        self.timeout_set = true;
                    }
                    None if self.timeout_set => {
                        reader.get_ref().set_read_timeout(None)?;
                        self.timeout_set = false;
                    }
                    None => {}
                }
            }
            let available = match reader.fill_buf() {
                Ok(a) => a,
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    return Err(Error::Timeout);
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.into()),
            };
            if available.is_empty() {
                return Err(Error::Disconnected);
            }
            let (take, done) = match available.iter().position(|&b| b == b'\n') {
                Some(i) => (i + 1, true),
                None => (available.len(), false),
            };
            if self.skipping {
                reader.consume(take);
                self.skipping = !done;
                continue;
            }
            if buf.len() + take > self.max + 2 {
                reader.consume(take);
                buf.clear();
                self.skipping = !done;
                return Err(Error::LineTooLong { limit: self.max });
            }
            buf.extend_from_slice(&available[..take]);
            reader.consume(take);
            if done {
                break;
            }
        }
        while matches!(buf.last(), Some(b'\n' | b'\r')) {
            buf.pop();
        }
        String::from_utf8(std::mem::take(buf)).map_err(|e| {
            Error::protocol(
                "the line is not UTF-8",
                &String::from_utf8_lossy(e.as_bytes()),
            )
        })
    }
}
