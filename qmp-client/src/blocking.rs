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
//! usable. Each command is written with a single write when the socket
//! has room; a server that stops reading makes the call time out like a
//! server that stops answering, and what of the request was not written
//! yet is written before the next request (a request cut short would run
//! into the next one). Replies are matched by id, or in-band ones by
//! order with [`Config::match_by_order`].
//!
//! A line that cannot be used (not UTF-8, not JSON, longer than the
//! limit) fails the call it was the reply of when that can be told, is
//! reported by [`Client::next_event`] as [`Error::BadEvent`] when it was
//! an event, and is dropped (and logged) otherwise: the connection goes
//! on.

use crate::common::{GreetingMessage, Head, Reply, decode_return, request_line};
use crate::framing::{Assembler, BadLine, Line, Owner};
use crate::{Config, Error, Greeting};
use qmp_types::{Command, EventMessage, EventSet, Events};
use serde_json::Value;
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, ErrorKind};
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
    /// Events read while calls waited (and events that do not decode,
    /// as [`Error::BadEvent`]).
    events: VecDeque<Result<EventMessage<E>, Error>>,
    /// A request that a call which timed out while writing left half
    /// written, and how much of it is written.
    out: Vec<u8>,
    out_done: usize,
    lagged: u64,
    /// In-band calls matched by order that gave up before their reply
    /// came: the next replies without an id are theirs, and dropped.
    late: u64,
    /// The server's schema, fetched on first use.
    schema: Option<std::sync::Arc<crate::ServerSchema>>,
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
        let address = path.as_ref().display().to_string();
        let waited = config.connect_timeout;
        Self::connect_unix_inner(path.as_ref(), config).map_err(|e| e.connecting(&address, waited))
    }

    fn connect_unix_inner(path: &Path, config: Config) -> Result<Self, Error> {
        let deadline = Instant::now() + config.connect_timeout;
        let mut pause = crate::common::FIRST_RETRY;
        let stream = loop {
            match UnixStream::connect(path) {
                Ok(stream) => break stream,
                Err(e)
                    if config.connect_retry
                        && crate::common::worth_retrying(&e)
                        && Instant::now() + pause < deadline =>
                {
                    std::thread::sleep(pause);
                    pause = crate::common::next_retry(pause);
                }
                Err(e) => return Err(e.into()),
            }
        };
        let mut lines = Lines {
            reader: BufReader::with_capacity(64 * 1024, stream.try_clone()?),
            assembler: Assembler::new(config.max_line),
            timeout_set: false,
        };
        let greeting = match lines.read(Some(deadline))? {
            Line::Text(line) => GreetingMessage::of(&line)?,
            Line::Bad(bad) => return Err(bad.error),
        };
        let mut client = Client {
            lines,
            writer: stream,
            greeting,
            oob: false,
            next_id: 1,
            events: VecDeque::new(),
            out: Vec::new(),
            out_done: 0,
            lagged: 0,
            late: 0,
            schema: None,
            config,
        };
        let id = client.next();
        let (line, oob) =
            crate::protocol::negotiation(&client.greeting, client.config.oob, Some(id))?;
        client.write(line, &[], Some(deadline), false)?;
        client
            .wait_reply(Some(id), Some(deadline))?
            .decode::<Value>("qmp_capabilities")?;
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
        self.check_arguments(command)?;
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
        self.check_arguments(command)?;
        let args = C::HAS_ARGUMENTS.then_some(command);
        match self.call(C::NAME, args, true, C::SUCCESS_RESPONSE, &[])? {
            Some(reply) => reply.decode::<C::Returns>(C::NAME),
            None => decode_return::<C::Returns>(C::NAME, ""),
        }
    }

    /// The server's schema (`query-qmp-schema`), fetched on the first
    /// call and kept for the connection (see [`crate::ServerSchema`]).
    pub fn schema(&mut self) -> Result<std::sync::Arc<crate::ServerSchema>, Error> {
        if let Some(s) = &self.schema {
            return Ok(s.clone());
        }
        let reply = self
            .call::<()>(qmp_types::cmd::QueryQmpSchema::NAME, None, false, true, &[])?
            .ok_or(Error::Disconnected)?;
        let entities =
            reply.decode::<Vec<qmp_types::SchemaInfo>>(qmp_types::cmd::QueryQmpSchema::NAME)?;
        let schema = std::sync::Arc::new(crate::ServerSchema::new(
            entities,
            Some(self.greeting.version.clone()),
        ));
        self.schema = Some(schema.clone());
        Ok(schema)
    }

    /// With [`Config::check_arguments`], checks `command` against the
    /// server's schema.
    fn check_arguments<C: Command>(&mut self, command: &C) -> Result<(), Error> {
        if !self.config.check_arguments {
            return Ok(());
        }
        let schema = self.schema()?;
        crate::server_schema::verdict(&schema, command)
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
        let started = Instant::now();
        let deadline = self.config.timeout_for(name).map(|t| started + t);
        let result =
            self.write(line, fds, deadline, id.is_none())
                .and_then(|()| match wants_reply {
                    true => self.wait_reply(id, deadline).map(Some),
                    false => Ok(None),
                });
        self.config.note_duration(name, started.elapsed());
        result
    }

    /// Keeps the buffer of a reply that was decoded for the next line (a
    /// line is read into it without allocating again).
    fn recycle(&mut self, reply: Reply) {
        let buf = &mut self.lines.assembler.buf;
        if buf.capacity() == 0 {
            *buf = reply.line.into_bytes();
            buf.clear();
        }
    }

    /// Writes `line` (descriptors with its first byte) before the
    /// deadline, after what an earlier call left unwritten. One write
    /// when the socket has room. On a timeout, the unwritten rest of a
    /// line begun is kept for the next write (and, for a request matched
    /// by order, `by_order`, its reply counted as late: it will come, and
    /// it is not the next call's); a line not begun is dropped.
    fn write(
        &mut self,
        line: Vec<u8>,
        fds: &[BorrowedFd<'_>],
        deadline: Option<Instant>,
        by_order: bool,
    ) -> Result<(), Error> {
        // On failure here, this request is not begun.
        self.send_out(&[], deadline)?;
        self.out = line;
        self.out_done = 0;
        let result = self.send_out(fds, deadline);
        if result.is_err() {
            if self.out_done == 0 {
                self.out.clear();
            } else if by_order {
                self.late += 1;
            }
        }
        result
    }

    /// Sends the rest of `self.out`, without blocking past the deadline
    /// (the socket stays blocking for reads; each send is non-blocking,
    /// and `poll` waits for room).
    fn send_out(&mut self, fds: &[BorrowedFd<'_>], deadline: Option<Instant>) -> Result<(), Error> {
        use crate::protocol::{SendError, send_some};
        use rustix::net::SendFlags;
        let flags = SendFlags::NOSIGNAL | SendFlags::DONTWAIT;
        while self.out_done < self.out.len() {
            match send_some(&self.writer, &self.out, self.out_done, fds, flags) {
                Ok(n) => self.out_done += n,
                Err(SendError::Os(rustix::io::Errno::INTR)) => {}
                Err(SendError::Os(rustix::io::Errno::AGAIN)) => self.wait_writable(deadline)?,
                Err(e) => return Err(e.into_error()),
            }
        }
        self.out.clear();
        self.out_done = 0;
        Ok(())
    }

    /// Waits until the socket has room, or the deadline.
    fn wait_writable(&self, deadline: Option<Instant>) -> Result<(), Error> {
        use rustix::event::{PollFd, PollFlags, Timespec, poll};
        let timeout = match deadline {
            Some(d) => {
                let left = d.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Err(Error::Timeout);
                }
                Some(Timespec {
                    tv_sec: left.as_secs().try_into().unwrap_or(i64::MAX),
                    tv_nsec: left.subsec_nanos().into(),
                })
            }
            None => None,
        };
        let mut fds = [PollFd::new(&self.writer, PollFlags::OUT)];
        match poll(&mut fds, timeout.as_ref()) {
            Ok(0) => Err(Error::Timeout),
            Ok(_) | Err(rustix::io::Errno::INTR) => Ok(()),
            Err(e) => Err(std::io::Error::from(e).into()),
        }
    }

    /// Reads until the reply with `id`, or the next in-band reply that is
    /// not late when `id` is `None`; events are queued, other replies (to
    /// calls that gave up) dropped. A line that cannot be used but is
    /// known to be that reply fails the call.
    fn wait_reply(&mut self, id: Option<u64>, deadline: Option<Instant>) -> Result<Reply, Error> {
        loop {
            let line = match self.read_line(deadline) {
                Ok(line) => line,
                Err(e) => {
                    if id.is_none() && matches!(e, Error::Timeout) {
                        // Its reply may still come: it is not the next
                        // call's. (Other errors ended the connection.)
                        self.late += 1;
                    }
                    return Err(e);
                }
            };
            let line = match line {
                Line::Text(line) => line,
                Line::Bad(bad) => match self.route_bad(bad, id) {
                    Some(error) => return Err(error),
                    None => continue,
                },
            };
            let head = match Head::of(&line) {
                Ok(head) => head,
                Err(e) => match self.route_bad(BadLine::not_a_message(&line, &e), id) {
                    Some(error) => return Err(error),
                    None => continue,
                },
            };
            if head.event.is_some() {
                self.queue_event(&head, &line);
                continue;
            }
            if self.is_ours(id, crate::framing::owner_of_head(&head)) {
                let ret = Reply::locate(&head, &line)?;
                return Ok(Reply { line, ret });
            }
        }
    }

    /// Whether a reply whose owner is `owner` is the one of the call
    /// waiting (with `id`, or matched by order when `None`); replies
    /// without an id that are late are counted off.
    fn is_ours(&mut self, id: Option<u64>, owner: Owner) -> bool {
        match (id, owner) {
            (Some(id), Owner::Reply(Some(reply))) => reply == id,
            (None, Owner::Reply(None)) => !self.late_reply(),
            (Some(_), Owner::Reply(None)) => {
                self.late_reply();
                false
            }
            // Not a call of ours that is waiting (an error reply to a
            // command without a success response), or an id that is not
            // ours.
            _ => false,
        }
    }

    /// A line that cannot be used: the error for the waiting call when
    /// it was its reply; otherwise queued as a bad event, or dropped.
    fn route_bad(&mut self, bad: BadLine, id: Option<u64>) -> Option<Error> {
        match bad.owner {
            Owner::Event(name) => {
                tracing::warn!(error = %bad.error, "an event that cannot be read");
                let reason = match bad.error {
                    Error::Protocol { reason, .. } => reason,
                    other => other.to_string(),
                };
                self.push_event(Err(Error::BadEvent {
                    name,
                    reason,
                    raw: bad.text,
                }));
                None
            }
            owner @ Owner::Reply(_) => {
                if self.is_ours(id, owner) {
                    return Some(bad.error);
                }
                tracing::warn!(error = %bad.error, "a bad reply nobody waits for");
                None
            }
            Owner::Unknown => {
                tracing::warn!(error = %bad.error, "the server sent something that is not a QMP message");
                None
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

    /// Queues the event on `line` (whose head is `head`), or the error
    /// saying why it does not decode.
    fn queue_event(&mut self, head: &Head<'_>, line: &str) {
        let event = qmp_types::deep::from_str::<EventMessage<E>>(line).map_err(|e| {
            tracing::warn!(error = %e, line = %line, "an event does not decode");
            Error::BadEvent {
                name: head
                    .event
                    .and_then(|n| serde_json::from_str::<String>(n.get()).ok()),
                reason: e.to_string(),
                raw: line.to_string(),
            }
        });
        self.push_event(event);
    }

    fn push_event(&mut self, event: Result<EventMessage<E>, Error>) {
        if self.events.len() >= self.config.event_buffer.max(1) {
            self.events.pop_front();
            self.lagged += 1;
        }
        self.events.push_back(event);
    }

    /// A reply nobody waits for, whose owner is `owner`: dropped, and
    /// counted off the late calls when unnumbered.
    fn drop_reply(&mut self, owner: Owner) {
        if owner == Owner::Reply(None) {
            self.late_reply();
        }
    }

    /// The next event (waiting up to `timeout`, or forever with `None`).
    /// [`Error::Lagged`] reports, once, events dropped because nobody
    /// read them while calls waited; [`Error::BadEvent`] an event that
    /// does not decode (with its raw line). Reading goes on after both.
    pub fn next_event(&mut self, timeout: Option<Duration>) -> Result<EventMessage<E>, Error> {
        if self.lagged > 0 {
            let n = std::mem::take(&mut self.lagged);
            return Err(Error::Lagged(n));
        }
        let deadline = timeout.map(|t| Instant::now() + t);
        loop {
            if let Some(e) = self.events.pop_front() {
                return e;
            }
            let line = match self.read_line(deadline)? {
                Line::Text(line) => line,
                Line::Bad(bad) => {
                    match bad.owner {
                        Owner::Event(_) => {
                            self.route_bad(bad, None);
                        }
                        owner => self.drop_reply(owner),
                    }
                    continue;
                }
            };
            match Head::of(&line) {
                Ok(head) if head.event.is_some() => self.queue_event(&head, &line),
                // A reply nobody waits for: a late one, when unnumbered.
                Ok(head) => self.drop_reply(crate::framing::owner_of_head(&head)),
                Err(e) => {
                    let bad = BadLine::not_a_message(&line, &e);
                    match bad.owner {
                        Owner::Event(_) => {
                            self.route_bad(bad, None);
                        }
                        owner => self.drop_reply(owner),
                    }
                }
            }
        }
    }

    /// Waits up to `timeout` for an event for which `matches` holds
    /// (skipping others, lag, and events that do not decode, which are
    /// logged).
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
                Ok(_) | Err(Error::Lagged(_) | Error::BadEvent { .. }) => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Runs `command` and waits for the first event `T` for which
    /// `matches` holds, as the async client's `execute_until`: the events
    /// already queued do not count (those still unread on the socket when
    /// the command is sent cannot be told from later ones, and do); `timeout` covers the
    /// command and the wait; a failed command is the error; an event that
    /// does not come in time is [`Error::NoEvent`]. The other events read
    /// meanwhile stay queued for [`Client::next_event`], in order.
    ///
    /// ```no_run
    /// # fn demo(client: &mut qmp_client::blocking::Client) -> Result<(), qmp_client::Error> {
    /// use qmp_types::{cmd, event};
    /// let (_, stop) = client.execute_until(
    ///     &cmd::Stop,
    ///     |_: &event::Stop| true,
    ///     std::time::Duration::from_secs(5),
    /// )?;
    /// println!("stopped at {}", stop.timestamp.seconds);
    /// # Ok(()) }
    /// ```
    pub fn execute_until<C: Command, T: qmp_types::EventIn<E>>(
        &mut self,
        command: &C,
        matches: impl Fn(&T) -> bool,
        timeout: Duration,
    ) -> Result<(C::Returns, EventMessage<T>), Error> {
        let deadline = Instant::now() + timeout;
        // The events already queued came before the command: set aside,
        // and put back in front of the rest whatever happens.
        let earlier = std::mem::take(&mut self.events);
        let (mut skipped, mut lag) = (VecDeque::new(), 0);
        let result = self.execute_until_inner(command, &matches, deadline, &mut skipped, &mut lag);
        let mut queue = earlier;
        queue.extend(skipped);
        queue.extend(std::mem::take(&mut self.events));
        // Within the buffer's bound, the oldest dropped first.
        while queue.len() > self.config.event_buffer.max(1) {
            queue.pop_front();
            lag += 1;
        }
        self.events = queue;
        // Reported by the next `next_event`, as lag always is.
        self.lagged += lag;
        result.map_err(|e| match e {
            Error::Timeout => Error::NoEvent {
                command: C::NAME.to_string(),
                event: T::NAME,
                waited: timeout,
            },
            other => other,
        })
    }

    fn execute_until_inner<C: Command, T: qmp_types::EventIn<E>>(
        &mut self,
        command: &C,
        matches: &impl Fn(&T) -> bool,
        deadline: Instant,
        skipped: &mut VecDeque<Result<EventMessage<E>, Error>>,
        lag: &mut u64,
    ) -> Result<(C::Returns, EventMessage<T>), Error> {
        let returned = self.execute(command)?;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(Error::Timeout);
            }
            match self.next_event(Some(left)) {
                Ok(msg) if T::get(&msg.event).is_some_and(matches) => {
                    let EventMessage {
                        event,
                        timestamp,
                        unknown_members,
                    } = msg;
                    // `get` found it: `take` does too.
                    if let Ok(event) = T::take(event) {
                        let event = EventMessage {
                            event,
                            timestamp,
                            unknown_members,
                        };
                        return Ok((returned, event));
                    }
                }
                Ok(msg) => skipped.push_back(Ok(msg)),
                Err(Error::Lagged(n)) => *lag += n,
                Err(e @ Error::BadEvent { .. }) => skipped.push_back(Err(e)),
                Err(e) => return Err(e),
            }
        }
    }

    fn read_line(&mut self, deadline: Option<Instant>) -> Result<Line, Error> {
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
    assembler: Assembler,
    /// Whether a read timeout is set on the socket (so that it is only
    /// changed when needed: a syscall per line would double the cost of
    /// a call).
    timeout_set: bool,
}

impl Lines {
    /// One line (usable or not), before the deadline.
    fn read(&mut self, deadline: Option<Instant>) -> Result<Line, Error> {
        let reader = &mut self.reader;
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
            let (used, line) = self.assembler.feed(available);
            reader.consume(used);
            if let Some(line) = line {
                return Ok(line);
            }
        }
    }
}
