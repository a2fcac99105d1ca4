//! The async client (see the crate documentation).

use crate::common::{GreetingMessage, Head, request_line};
use crate::{Config, Error, Greeting, line};

use qmp_types::{Command, EventMessage, EventSet, Events};
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex as StdMutex, PoisonError};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::sync::{Mutex, broadcast, oneshot};

/// A reply as routed to its caller: the line (with where its `return`
/// value is), decoded by the caller.
type Reply = Result<crate::common::Reply, Error>;

/// The write half. On a Unix socket, file descriptors can travel with a
/// command (SCM_RIGHTS).
enum Writer {
    Unix(crate::unix::Writer),
    Other(Box<dyn AsyncWrite + Send + Unpin>),
}

impl Writer {
    /// Writes a line (which ends with its newline) in one write.
    async fn write_line(&mut self, line: &[u8]) -> Result<(), Error> {
        match self {
            Writer::Unix(w) => Ok(crate::unix::send(&w.0, line, &[]).await?),
            Writer::Other(w) => write_line(w, line).await,
        }
    }

    /// Writes a line with file descriptors attached to its first byte.
    async fn write_line_with_fds(
        &mut self,
        line: &[u8],
        fds: &[std::os::fd::BorrowedFd<'_>],
    ) -> Result<(), Error> {
        let Writer::Unix(w) = self else {
            return Err(Error::NotAllowed(
                "file descriptors can only be passed over a Unix socket".into(),
            ));
        };
        Ok(crate::unix::send(&w.0, line, fds).await?)
    }
}

struct Shared<E> {
    writer: Mutex<Writer>,
    pending: StdMutex<HashMap<u64, oneshot::Sender<Reply>>>,
    next_id: AtomicU64,
    closed: AtomicBool,
    events: broadcast::Sender<Arc<EventMessage<E>>>,
    greeting: Greeting,
    oob: bool,
    config: Config,
}

/// A connection to a QMP server (cheap to clone; all clones share it).
pub struct Client<E = Events> {
    shared: Arc<Shared<E>>,
}

impl<E> Clone for Client<E> {
    fn clone(&self) -> Self {
        Client {
            shared: self.shared.clone(),
        }
    }
}

/// Removes a call's pending entry when the call ends, however it ends
/// (reply, timeout, or the future dropped).
struct PendingGuard<'a, E> {
    shared: &'a Shared<E>,
    id: u64,
}

impl<E> Drop for PendingGuard<'_, E> {
    fn drop(&mut self) {
        self.shared
            .pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.id);
    }
}

impl Client<Events> {
    /// Connects to a QMP server on a Unix socket, with default settings.
    pub async fn connect_unix(path: impl AsRef<Path>) -> Result<Self, Error> {
        Self::connect_unix_with(path, Config::default()).await
    }

    /// Connects to a QMP server on a Unix socket.
    pub async fn connect_unix_with(path: impl AsRef<Path>, config: Config) -> Result<Self, Error> {
        let stream = tokio::time::timeout(
            config.connect_timeout,
            tokio::net::UnixStream::connect(path),
        )
        .await
        .map_err(|_| Error::Timeout)??;
        let socket = crate::unix::register(stream)?;
        Client::start(
            crate::unix::Reader(socket.clone()),
            Writer::Unix(crate::unix::Writer(socket)),
            config,
        )
        .await
    }

    /// Connects to a QMP server over TCP, with default settings.
    pub async fn connect_tcp(addr: impl tokio::net::ToSocketAddrs) -> Result<Self, Error> {
        let config = Config::default();
        let stream =
            tokio::time::timeout(config.connect_timeout, tokio::net::TcpStream::connect(addr))
                .await
                .map_err(|_| Error::Timeout)??;
        let (r, w) = stream.into_split();
        Client::handshake(r, w, config).await
    }
}

impl<E: EventSet + Send + Sync + 'static> Client<E> {
    /// Speaks QMP over any stream: reads the greeting, negotiates
    /// capabilities (out-of-band execution when both sides want it) and
    /// starts the reader task. This is also how to use a schema's own
    /// event set: `Client::<MyEvents>::handshake(reader, writer, config)`.
    pub async fn handshake<R, W>(reader: R, writer: W, config: Config) -> Result<Self, Error>
    where
        R: AsyncRead + Send + Unpin + 'static,
        W: AsyncWrite + Send + Unpin + 'static,
    {
        Self::start(reader, Writer::Other(Box::new(writer)), config).await
    }

    async fn start<R: AsyncRead + Send + Unpin + 'static>(
        reader: R,
        mut writer: Writer,
        config: Config,
    ) -> Result<Self, Error> {
        let mut lines = line::Lines::new(reader, config.max_line);
        let timeout = config.connect_timeout;
        let (greeting, oob, lines, writer) = tokio::time::timeout(timeout, async move {
            let line = lines.next().await?.ok_or(Error::Disconnected)?;
            let greeting: GreetingMessage = serde_json::from_str(&line)
                .map_err(|e| Error::protocol(format!("not a QMP greeting: {e}"), &line))?;
            let greeting = greeting.qmp;
            let oob = config.oob
                && greeting
                    .capabilities
                    .contains(&qmp_types::QMPCapability::Oob);
            let enable: Vec<&str> = if oob { vec!["oob"] } else { Vec::new() };
            let msg = serde_json::json!({ "enable": enable });
            writer
                .write_line(&request_line("qmp_capabilities", Some(&msg), false, None)?)
                .await?;
            loop {
                let line = lines.next().await?.ok_or(Error::Disconnected)?;
                let v: Value = serde_json::from_str(&line)
                    .map_err(|e| Error::protocol(format!("not JSON: {e}"), &line))?;
                if v.get("event").is_some() {
                    continue;
                }
                if v.get("return").is_some() {
                    break;
                }
                return Err(Error::from_error_reply(&v, "qmp_capabilities", &line));
            }
            Ok::<_, Error>((greeting, oob, lines, writer))
        })
        .await
        .map_err(|_| Error::Timeout)??;
        let (events, _) = broadcast::channel(config.event_buffer.max(1));
        let shared = Arc::new(Shared {
            writer: Mutex::new(writer),
            pending: StdMutex::new(HashMap::new()),
            next_id: AtomicU64::new(1),
            closed: AtomicBool::new(false),
            events,
            greeting,
            oob,
            config,
        });
        tokio::spawn(read_loop(lines, Arc::downgrade(&shared)));
        Ok(Client { shared })
    }

    /// The server's greeting.
    pub fn greeting(&self) -> &Greeting {
        &self.shared.greeting
    }

    /// Whether out-of-band execution was negotiated.
    pub fn oob_enabled(&self) -> bool {
        self.shared.oob
    }

    /// Whether the connection is closed.
    pub fn is_closed(&self) -> bool {
        self.shared.closed.load(Ordering::Acquire)
    }

    /// Runs a command and returns its typed result.
    pub async fn execute<C: Command>(&self, command: &C) -> Result<C::Returns, Error> {
        self.execute_inner(command, false, self.shared.config.call_timeout, &[])
            .await
    }

    /// [`Client::execute`] with its own timeout.
    pub async fn execute_timeout<C: Command>(
        &self,
        command: &C,
        timeout: Duration,
    ) -> Result<C::Returns, Error> {
        self.execute_inner(command, false, Some(timeout), &[]).await
    }

    /// Runs a command out-of-band (`exec-oob`): it may overtake commands
    /// in flight. The command must allow it and the server must have
    /// agreed to out-of-band execution.
    pub async fn execute_oob<C: Command>(&self, command: &C) -> Result<C::Returns, Error> {
        if !C::ALLOW_OOB {
            return Err(Error::NotAllowed(format!(
                "{} cannot run out-of-band",
                C::NAME
            )));
        }
        if !self.shared.oob {
            return Err(Error::NotAllowed(
                "out-of-band execution was not negotiated".into(),
            ));
        }
        self.execute_inner(command, true, self.shared.config.call_timeout, &[])
            .await
    }

    async fn execute_inner<C: Command>(
        &self,
        command: &C,
        oob: bool,
        timeout: Option<Duration>,
        fds: &[std::os::fd::BorrowedFd<'_>],
    ) -> Result<C::Returns, Error> {
        let id = self.shared.next_id.fetch_add(1, Ordering::Relaxed);
        let line = request_line(C::NAME, C::HAS_ARGUMENTS.then_some(command), oob, Some(id))?;
        match self
            .send(id, line, C::NAME, C::SUCCESS_RESPONSE, timeout, fds)
            .await?
        {
            Some(reply) => reply.decode::<C::Returns>(C::NAME),
            // No reply on success: nothing to decode.
            None => crate::common::no_reply(),
        }
    }

    /// Runs a command with file descriptors attached (SCM_RIGHTS): for
    /// `add-fd` and `getfd`, which take the descriptors sent with them.
    /// Only over a Unix socket.
    pub async fn execute_with_fds<C: Command>(
        &self,
        command: &C,
        fds: &[std::os::fd::BorrowedFd<'_>],
    ) -> Result<C::Returns, Error> {
        self.execute_inner(command, false, self.shared.config.call_timeout, fds)
            .await
    }

    /// Runs a command by name with JSON arguments; the result is the
    /// JSON `return` value.
    pub async fn execute_raw(&self, name: &str, arguments: Option<Value>) -> Result<Value, Error> {
        let id = self.shared.next_id.fetch_add(1, Ordering::Relaxed);
        let line = request_line(name, arguments.as_ref(), false, Some(id))?;
        let reply = self
            .send(id, line, name, true, self.shared.config.call_timeout, &[])
            .await?;
        match reply {
            Some(reply) => reply.decode::<Value>(name),
            None => Ok(Value::Null),
        }
    }

    /// Sends the request `line` (with id `id`), with any file
    /// descriptors attached, and waits for its reply (`None` for commands
    /// that send no reply on success).
    async fn send(
        &self,
        id: u64,
        line: Vec<u8>,
        name: &str,
        wants_reply: bool,
        timeout: Option<Duration>,
        fds: &[std::os::fd::BorrowedFd<'_>],
    ) -> Result<Option<crate::common::Reply>, Error> {
        let shared = &*self.shared;
        if shared.closed.load(Ordering::Acquire) {
            return Err(Error::Disconnected);
        }
        let (tx, rx) = oneshot::channel();
        let _guard = if wants_reply {
            shared
                .pending
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(id, tx);
            Some(PendingGuard { shared, id })
        } else {
            None
        };
        // The connection may have died between the check and the insert:
        // the reader drains pending calls after setting `closed`.
        if shared.closed.load(Ordering::Acquire) {
            return Err(Error::Disconnected);
        }
        tracing::trace!(id, command = name, "send");
        let work = async {
            {
                let mut w = shared.writer.lock().await;
                if fds.is_empty() {
                    w.write_line(&line).await?;
                } else {
                    w.write_line_with_fds(&line, fds).await?;
                }
            }
            if !wants_reply {
                return Ok(None);
            }
            match rx.await {
                Ok(reply) => reply.map(Some),
                Err(_) => Err(Error::Disconnected),
            }
        };
        match timeout {
            Some(t) => tokio::time::timeout(t, work)
                .await
                .map_err(|_| Error::Timeout)?,
            None => work.await,
        }
    }

    /// Subscribes to every event from now on.
    pub fn events(&self) -> EventStream<E> {
        EventStream {
            rx: self.shared.events.subscribe(),
            filter: None,
        }
    }

    /// Subscribes to the events for which `filter` holds.
    pub fn events_where(
        &self,
        filter: impl Fn(&EventMessage<E>) -> bool + Send + Sync + 'static,
    ) -> EventStream<E> {
        EventStream {
            rx: self.shared.events.subscribe(),
            filter: Some(Box::new(filter)),
        }
    }
}

impl Client<Events> {
    /// Subscribes to one kind of event, by its type.
    pub fn events_of<T: qmp_types::Event>(&self) -> EventStream<Events> {
        self.events_where(|m| qmp_types::EventSet::name(&m.event) == T::NAME)
    }
}

/// Which events a subscriber wants.
type EventFilter<E> = Box<dyn Fn(&EventMessage<E>) -> bool + Send + Sync>;

/// A subscription to events.
pub struct EventStream<E> {
    rx: broadcast::Receiver<Arc<EventMessage<E>>>,
    filter: Option<EventFilter<E>>,
}

impl<E> EventStream<E> {
    /// The next event. [`Error::Lagged`] means events were dropped because
    /// this subscriber fell behind (the stream goes on after it);
    /// [`Error::Disconnected`] that the connection is closed.
    pub async fn next(&mut self) -> Result<Arc<EventMessage<E>>, Error> {
        loop {
            match self.rx.recv().await {
                Ok(e) => {
                    if self.filter.as_ref().is_none_or(|f| f(&e)) {
                        return Ok(e);
                    }
                }
                Err(broadcast::error::RecvError::Lagged(n)) => return Err(Error::Lagged(n)),
                Err(broadcast::error::RecvError::Closed) => return Err(Error::Disconnected),
            }
        }
    }

    /// Waits up to `timeout` for an event for which `matches` holds
    /// (skipping others, and events lost to lag).
    pub async fn wait_for(
        &mut self,
        timeout: Duration,
        matches: impl Fn(&EventMessage<E>) -> bool,
    ) -> Result<Arc<EventMessage<E>>, Error> {
        tokio::time::timeout(timeout, async {
            loop {
                match self.next().await {
                    Ok(e) if matches(&e) => return Ok(e),
                    Ok(_) | Err(Error::Lagged(_)) => {}
                    Err(e) => return Err(e),
                }
            }
        })
        .await
        .map_err(|_| Error::Timeout)?
    }
}

/// Writes a line (ending with its newline): one write per command.
pub(crate) async fn write_line<W: AsyncWrite + Unpin + ?Sized>(
    w: &mut W,
    line: &[u8],
) -> Result<(), Error> {
    w.write_all(line).await?;
    w.flush().await?;
    Ok(())
}

/// The reader task: routes replies by id, broadcasts events, and fails
/// every pending call when the connection ends.
async fn read_loop<R: AsyncRead + Unpin, E: EventSet + Send + Sync + 'static>(
    mut lines: line::Lines<R>,
    shared: std::sync::Weak<Shared<E>>,
) {
    let end = loop {
        let line = match lines.next().await {
            Ok(Some(line)) => line,
            Ok(None) => break Error::Disconnected,
            Err(e) => break e,
        };
        // Every client handle gone: stop reading.
        let Some(shared) = shared.upgrade() else {
            return;
        };
        route(&shared, line);
    };
    if let Some(shared) = shared.upgrade() {
        tracing::debug!(error = %end, "connection ended");
        shared.closed.store(true, Ordering::Release);
        let pending: Vec<_> = shared
            .pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .drain()
            .collect();
        for (_, tx) in pending {
            let _ = tx.send(Err(Error::Disconnected));
        }
    }
}

fn route<E: EventSet>(shared: &Shared<E>, line: String) {
    let head = match Head::of(&line) {
        Ok(h) => h,
        Err(e) => {
            tracing::warn!(error = %e, line = %line, "the server sent something that is not a QMP message");
            return;
        }
    };
    if head.event.is_some() {
        tracing::trace!(line = %line, "event");
        match serde_json::from_str::<EventMessage<E>>(&line) {
            Ok(msg) => {
                // No subscriber is fine.
                let _ = shared.events.send(Arc::new(msg));
            }
            Err(e) => tracing::warn!(error = %e, line = %line, "an event does not decode"),
        }
        return;
    }
    let Some(id) = head.id() else {
        tracing::warn!(line = %line, "a reply without an id of ours");
        return;
    };
    tracing::trace!(id, "reply");
    let tx = shared
        .pending
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .remove(&id);
    let ret = crate::common::Reply::return_range(&head, &line);
    match tx {
        Some(tx) => {
            // The caller may have given up: then the reply is dropped.
            let _ = tx.send(Ok(crate::common::Reply { line, ret }));
        }
        None => tracing::debug!(id, "a reply nobody waits for any more"),
    }
}
