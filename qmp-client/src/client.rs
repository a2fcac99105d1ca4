//! The async client (see the crate documentation).

use crate::common::{GreetingMessage, Head, request_line};
use crate::framing::{BadLine, Line, Owner};
use crate::{Config, Error, Greeting, line};

use qmp_types::{Command, EventMessage, EventSet, Events};
use serde_json::Value;
use std::collections::{HashMap, VecDeque};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex as StdMutex, PoisonError};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::sync::{Mutex, broadcast, oneshot};

/// A reply as routed to its caller: the line (with where its `return`
/// value is), decoded by the caller.
type Reply = Result<crate::common::Reply, Error>;

/// Where requests go. On a Unix socket, file descriptors can travel with
/// a command (SCM_RIGHTS).
enum Sink {
    Unix(crate::unix::Writer),
    Other(Box<dyn AsyncWrite + Send + Unpin>),
}

/// The write half: the sink, and the bytes promised to the server but not
/// written yet.
///
/// A line, once taken, is always written whole: a call dropped in the
/// middle of writing its request leaves the rest here, and the next write
/// sends it first. A line cut short would run into the next request, and
/// the server would answer the two with one error, which would shift
/// every reply matched by order after it.
struct Writer {
    sink: Sink,
    out: Vec<u8>,
    /// How much of `out` is written.
    done: usize,
}

impl Writer {
    fn new(sink: Sink) -> Self {
        Writer {
            sink,
            out: Vec::new(),
            done: 0,
        }
    }

    /// Whether `fds` can travel on this connection.
    fn check_fds(&self, fds: &[std::os::fd::BorrowedFd<'_>]) -> Result<(), Error> {
        match self.sink {
            Sink::Other(_) if !fds.is_empty() => Err(Error::NotAllowed(
                "file descriptors can only be passed over a Unix socket".into(),
            )),
            _ => Ok(()),
        }
    }

    /// Writes what earlier, dropped, calls left unwritten.
    async fn finish(&mut self) -> Result<(), Error> {
        self.flush(&[]).await
    }

    /// Takes `line` (which ends with its newline): from now on it will be
    /// written whole. Call [`Writer::finish`] first, so that the line
    /// starts the buffer (and `fds` go with its first byte).
    fn take(&mut self, line: Vec<u8>) {
        if self.out.is_empty() {
            self.out = line;
        } else {
            self.out.extend_from_slice(&line);
        }
    }

    /// Writes the buffer, `fds` attached to its first byte, in one write
    /// when the socket has room.
    async fn flush(&mut self, fds: &[std::os::fd::BorrowedFd<'_>]) -> Result<(), Error> {
        if self.done < self.out.len() {
            match &mut self.sink {
                Sink::Unix(w) => crate::unix::send(&w.0, &self.out, &mut self.done, fds).await?,
                Sink::Other(w) => {
                    while self.done < self.out.len() {
                        let n = w.write(&self.out[self.done..]).await?;
                        if n == 0 {
                            return Err(std::io::Error::from(std::io::ErrorKind::WriteZero).into());
                        }
                        self.done += n;
                    }
                    w.flush().await?;
                }
            }
        }
        self.out.clear();
        self.done = 0;
        Ok(())
    }
}

/// The calls waiting for a reply.
#[derive(Default)]
struct Pending {
    /// Calls whose request carries an id, by id.
    by_id: HashMap<u64, oneshot::Sender<Reply>>,
    /// In-band calls without an id, in the order their requests were
    /// taken by the writer: the server answers them in that order. A
    /// caller that gave up has dropped its receiver; its reply is dropped
    /// when it comes.
    in_order: VecDeque<oneshot::Sender<Reply>>,
}

/// How a call's reply finds it.
#[derive(Clone, Copy)]
enum Route {
    /// By the id of its request.
    Id(u64),
    /// By order (an in-band request without an id).
    Order,
    /// No reply is awaited (`success-response: false`). The request has
    /// an id, so that an error reply, which such a command still sends,
    /// is not taken for another call's.
    None(u64),
}

/// What subscribers receive: an event, or what could be read of one that
/// does not decode.
pub(crate) type Delivery<E> = Result<Arc<EventMessage<E>>, Arc<BadEvent>>;

/// An event that does not decode (see [`Error::BadEvent`]).
#[derive(Debug)]
pub(crate) struct BadEvent {
    pub(crate) name: Option<String>,
    reason: String,
    raw: String,
}

impl BadEvent {
    pub(crate) fn error(&self) -> Error {
        Error::BadEvent {
            name: self.name.clone(),
            reason: self.reason.clone(),
            raw: self.raw.clone(),
        }
    }
}

struct Shared<E> {
    writer: Mutex<Writer>,
    pending: StdMutex<Pending>,
    next_id: AtomicU64,
    closed: AtomicBool,
    events: broadcast::Sender<Delivery<E>>,
    greeting: Greeting,
    oob: bool,
    config: Config,
    /// The server's schema, fetched on first use.
    schema: tokio::sync::OnceCell<Arc<crate::ServerSchema>>,
    /// Dropped with the last handle: that stops the reader task, which
    /// owns the read half of the connection, so that the connection
    /// closes even while the server keeps its end open.
    _stop: oneshot::Sender<std::convert::Infallible>,
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

impl Route {
    /// The id its request carries.
    fn id(self) -> Option<u64> {
        match self {
            Route::Id(id) | Route::None(id) => Some(id),
            Route::Order => None,
        }
    }
}

impl<E> Shared<E> {
    fn pending(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers a call waiting for its reply, unless the connection is
    /// closed: the reader sets `closed` under the same lock as it fails
    /// every pending call, so no call can slip in after that and wait
    /// forever.
    fn wait(&self, register: impl FnOnce(&mut Pending)) -> Result<(), Error> {
        let mut p = self.pending();
        if self.closed.load(Ordering::Acquire) {
            return Err(Error::Disconnected);
        }
        register(&mut p);
        Ok(())
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
        self.shared.pending().by_id.remove(&self.id);
    }
}

impl Client<Events> {
    /// Connects to a QMP server on a Unix socket, with default settings.
    pub async fn connect_unix(path: impl AsRef<Path>) -> Result<Self, Error> {
        Self::connect_unix_with(path, Config::default()).await
    }

    /// Connects to a QMP server on a Unix socket.
    pub async fn connect_unix_with(path: impl AsRef<Path>, config: Config) -> Result<Self, Error> {
        let address = path.as_ref().display().to_string();
        let waited = config.connect_timeout;
        let connect = async {
            let stream = connect_unix_stream(path.as_ref(), &config).await?;
            let socket = crate::unix::register(stream)?;
            Client::start(
                crate::unix::Reader(socket.clone()),
                Sink::Unix(crate::unix::Writer(socket)),
                config,
            )
            .await
        };
        connect.await.map_err(|e| e.connecting(&address, waited))
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
        Self::start(reader, Sink::Other(Box::new(writer)), config).await
    }

    async fn start<R: AsyncRead + Send + Unpin + 'static>(
        reader: R,
        sink: Sink,
        config: Config,
    ) -> Result<Self, Error> {
        let mut writer = Writer::new(sink);
        let mut lines = line::Lines::new(reader, config.max_line);
        let timeout = config.connect_timeout;
        let (greeting, oob, lines, writer) = tokio::time::timeout(timeout, async move {
            let greeting = GreetingMessage::of(&lines.next_text().await?)?;
            let (request, oob) = crate::protocol::negotiation(&greeting, config.oob, None)?;
            writer.take(request);
            writer.finish().await?;
            loop {
                let line = lines.next_text().await?;
                let head = Head::of(&line)
                    .map_err(|e| Error::protocol(format!("not a QMP message: {e}"), &line))?;
                if head.event.is_some() {
                    continue;
                }
                let ret = crate::common::Reply::locate(&head, &line)?;
                crate::common::decode_reply::<Value>("qmp_capabilities", &line, ret)?;
                break;
            }
            Ok::<_, Error>((greeting, oob, lines, writer))
        })
        .await
        .map_err(|_| Error::Timeout)??;
        let (events, _) = broadcast::channel(config.event_buffer.max(1));
        let (stop, stopped) = oneshot::channel();
        let shared = Arc::new(Shared {
            writer: Mutex::new(writer),
            pending: StdMutex::new(Pending::default()),
            next_id: AtomicU64::new(1),
            closed: AtomicBool::new(false),
            events,
            greeting,
            oob,
            config,
            schema: tokio::sync::OnceCell::new(),
            _stop: stop,
        });
        tokio::spawn(read_loop(lines, Arc::downgrade(&shared), stopped));
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

    /// The server's schema (`query-qmp-schema`), fetched on the first
    /// call and kept for the connection: what this server has, down to
    /// argument members and enum values (see [`crate::ServerSchema`]).
    pub async fn schema(&self) -> Result<Arc<crate::ServerSchema>, Error> {
        self.shared
            .schema
            .get_or_try_init(|| async {
                let timeout = self
                    .shared
                    .config
                    .timeout_for(qmp_types::cmd::QueryQmpSchema::NAME);
                let entities = self
                    .send_command(&qmp_types::cmd::QueryQmpSchema, false, timeout, &[])
                    .await?;
                let version = Some(self.shared.greeting.version.clone());
                Ok(Arc::new(crate::ServerSchema::new(entities, version)))
            })
            .await
            .cloned()
    }

    /// Whether the connection is closed.
    pub fn is_closed(&self) -> bool {
        self.shared.closed.load(Ordering::Acquire)
    }

    /// Runs a command and returns its typed result.
    pub async fn execute<C: Command>(&self, command: &C) -> Result<C::Returns, Error> {
        let timeout = self.shared.config.timeout_for(C::NAME);
        self.execute_inner(command, false, timeout, &[]).await
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
        let timeout = self.shared.config.timeout_for(C::NAME);
        self.execute_inner(command, true, timeout, &[]).await
    }

    async fn execute_inner<C: Command>(
        &self,
        command: &C,
        oob: bool,
        timeout: Option<Duration>,
        fds: &[std::os::fd::BorrowedFd<'_>],
    ) -> Result<C::Returns, Error> {
        if self.shared.config.check_arguments {
            crate::server_schema::verdict(&*self.schema().await?, command)?;
        }
        self.send_command(command, oob, timeout, fds).await
    }

    /// Encodes and sends a command, and decodes its reply.
    async fn send_command<C: Command>(
        &self,
        command: &C,
        oob: bool,
        timeout: Option<Duration>,
        fds: &[std::os::fd::BorrowedFd<'_>],
    ) -> Result<C::Returns, Error> {
        let route = self.route(oob, C::SUCCESS_RESPONSE);
        let line = request_line(
            C::NAME,
            C::HAS_ARGUMENTS.then_some(command),
            oob,
            route.id(),
        )?;
        match self.send(route, line, C::NAME, timeout, fds).await? {
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
        let timeout = self.shared.config.timeout_for(C::NAME);
        self.execute_inner(command, false, timeout, fds).await
    }

    /// Runs a command by name with JSON arguments; the result is the
    /// JSON `return` value.
    pub async fn execute_raw(&self, name: &str, arguments: Option<Value>) -> Result<Value, Error> {
        let route = self.route(false, true);
        let line = request_line(name, arguments.as_ref(), false, route.id())?;
        let reply = self
            .send(route, line, name, self.shared.config.timeout_for(name), &[])
            .await?;
        match reply {
            Some(reply) => reply.decode::<Value>(name),
            None => Ok(Value::Null),
        }
    }

    /// How the reply to a call will find it (see
    /// [`Config::match_by_order`]).
    fn route(&self, oob: bool, success_response: bool) -> Route {
        let shared = &*self.shared;
        if !success_response {
            Route::None(shared.next_id.fetch_add(1, Ordering::Relaxed))
        } else if oob || !shared.config.match_by_order {
            Route::Id(shared.next_id.fetch_add(1, Ordering::Relaxed))
        } else {
            Route::Order
        }
    }

    /// Sends the request `line`, with any file descriptors attached, and
    /// waits for its reply (`None` for commands that send no reply on
    /// success).
    async fn send(
        &self,
        route: Route,
        line: Vec<u8>,
        name: &str,
        timeout: Option<Duration>,
        fds: &[std::os::fd::BorrowedFd<'_>],
    ) -> Result<Option<crate::common::Reply>, Error> {
        let shared = &*self.shared;
        if shared.closed.load(Ordering::Acquire) {
            return Err(Error::Disconnected);
        }
        let (tx, rx) = oneshot::channel();
        // A call matched by id waits from now on; one matched by order
        // joins the queue when its line is taken.
        let (in_order, _guard) = match route {
            Route::Id(id) => {
                shared.wait(|p| {
                    p.by_id.insert(id, tx);
                })?;
                (None, Some(PendingGuard { shared, id }))
            }
            Route::Order => (Some(tx), None),
            Route::None(_) => (None, None),
        };
        tracing::trace!(id = route.id(), command = name, "send");
        let work = async {
            {
                let mut w = shared.writer.lock().await;
                w.check_fds(fds)?;
                w.finish().await?;
                // A call matched by order takes its place in the queue
                // with its line, under the writer's lock, so that the
                // queue's order is the order of the lines (nothing can
                // interrupt between the two).
                if let Some(tx) = in_order {
                    shared.wait(|p| p.in_order.push_back(tx))?;
                }
                w.take(line);
                w.flush(fds).await?;
            }
            if matches!(route, Route::None(_)) {
                return Ok(None);
            }
            match rx.await {
                Ok(reply) => reply.map(Some),
                Err(_) => Err(Error::Disconnected),
            }
        };
        let started = std::time::Instant::now();
        let result = match timeout {
            Some(t) => tokio::time::timeout(t, work)
                .await
                .map_err(|_| Error::Timeout)
                .and_then(|r| r),
            None => work.await,
        };
        shared.config.note_duration(name, started.elapsed());
        result
    }

    /// A new receiver of every event delivered from now on.
    pub(crate) fn subscribe(&self) -> broadcast::Receiver<Delivery<E>> {
        self.shared.events.subscribe()
    }
}

/// Connects to the Unix socket at `path` within the connect timeout;
/// with [`Config::connect_retry`], again and again while the socket is
/// missing or refuses connections.
pub(crate) async fn connect_unix_stream(
    path: &Path,
    config: &Config,
) -> Result<tokio::net::UnixStream, Error> {
    let deadline = tokio::time::Instant::now() + config.connect_timeout;
    let mut pause = crate::common::FIRST_RETRY;
    loop {
        match tokio::time::timeout_at(deadline, tokio::net::UnixStream::connect(path)).await {
            Err(_) => return Err(Error::Timeout),
            Ok(Ok(stream)) => return Ok(stream),
            Ok(Err(e))
                if config.connect_retry
                    && crate::common::worth_retrying(&e)
                    && tokio::time::Instant::now() + pause < deadline =>
            {
                tracing::debug!(path = %path.display(), error = %e, "not listening yet: retrying");
                tokio::time::sleep(pause).await;
                pause = crate::common::next_retry(pause);
            }
            Ok(Err(e)) => return Err(e.into()),
        }
    }
}

/// Writes a line (ending with its newline): one write per command.
#[cfg(feature = "qga")]
pub(crate) async fn write_line<W: AsyncWrite + Unpin + ?Sized>(
    w: &mut W,
    line: &[u8],
) -> Result<(), Error> {
    w.write_all(line).await?;
    w.flush().await?;
    Ok(())
}

/// The reader task: routes replies by id, broadcasts events, and fails
/// every pending call when the connection ends. It ends when the last
/// client handle is dropped (`stopped`), closing the connection.
async fn read_loop<R: AsyncRead + Unpin, E: EventSet + Send + Sync + 'static>(
    mut lines: line::Lines<R>,
    shared: std::sync::Weak<Shared<E>>,
    mut stopped: oneshot::Receiver<std::convert::Infallible>,
) {
    let end = loop {
        let line = tokio::select! {
            biased;
            line = lines.next() => line,
            // Every client handle gone: stop reading.
            _ = &mut stopped => return,
        };
        let line = match line {
            Ok(Some(line)) => line,
            Ok(None) => break Error::Disconnected,
            Err(e) => break e,
        };
        let Some(shared) = shared.upgrade() else {
            return;
        };
        match line {
            Line::Text(text) => route(&shared, text),
            Line::Bad(bad) => route_bad(&shared, bad),
        }
    };
    if let Some(shared) = shared.upgrade() {
        tracing::debug!(error = %end, "connection ended");
        let pending = {
            let mut p = shared.pending();
            shared.closed.store(true, Ordering::Release);
            std::mem::take(&mut *p)
        };
        for tx in pending.by_id.into_values().chain(pending.in_order) {
            let _ = tx.send(Err(Error::Disconnected));
        }
    }
}

fn route<E: EventSet>(shared: &Shared<E>, line: String) {
    let head = match Head::of(&line) {
        Ok(h) => h,
        Err(e) => return route_bad(shared, BadLine::not_a_message(&line, &e)),
    };
    if head.event.is_some() {
        tracing::trace!(line = %line, "event");
        match qmp_types::deep::from_str::<EventMessage<E>>(&line) {
            Ok(msg) => {
                // No subscriber is fine.
                let _ = shared.events.send(Ok(Arc::new(msg)));
            }
            Err(e) => {
                let name = head
                    .event
                    .and_then(|n| serde_json::from_str::<String>(n.get()).ok());
                tracing::warn!(error = %e, line = %line, "an event does not decode");
                let _ = shared.events.send(Err(Arc::new(BadEvent {
                    name,
                    reason: e.to_string(),
                    raw: line,
                })));
            }
        }
        return;
    }
    let Some(tx) = waiting_call(shared, &head) else {
        return;
    };
    // The caller may have given up: then the reply is dropped.
    let ret = crate::common::Reply::locate(&head, &line);
    let _ = tx.send(ret.map(|ret| crate::common::Reply { line, ret }));
}

/// The call a reply is for, taken off the pending calls.
fn waiting_call<E>(shared: &Shared<E>, head: &Head<'_>) -> Option<oneshot::Sender<Reply>> {
    match crate::framing::owner_of_head(head) {
        Owner::Reply(id) => waiting_for(shared, id),
        Owner::Event(_) => None,
        Owner::Unknown => {
            tracing::warn!(
                id = head.id.map(|i| i.get()),
                "a reply with an id that is not ours"
            );
            None
        }
    }
}

/// Takes the call waiting for the reply with `id` (`None`: the next call
/// matched by order).
fn waiting_for<E>(shared: &Shared<E>, id: Option<u64>) -> Option<oneshot::Sender<Reply>> {
    match id {
        None => {
            tracing::trace!("reply, matched by order");
            let tx = shared.pending().in_order.pop_front();
            if tx.is_none() {
                tracing::warn!("a reply without an id, and no call waits for one");
            }
            tx
        }
        Some(id) => {
            tracing::trace!(id, "reply");
            let tx = shared.pending().by_id.remove(&id);
            if tx.is_none() {
                tracing::debug!(id, "a reply nobody waits for any more");
            }
            tx
        }
    }
}

/// A line that cannot be used: its error goes to the call it was the
/// reply of, or to event subscribers when it was an event; when nobody
/// can be told, it is logged. The connection goes on either way.
fn route_bad<E>(shared: &Shared<E>, bad: BadLine) {
    match bad.owner {
        Owner::Reply(id) => match waiting_for(shared, id) {
            Some(tx) => {
                let _ = tx.send(Err(bad.error));
            }
            None => tracing::warn!(error = %bad.error, "a bad reply nobody waits for"),
        },
        Owner::Event(name) => {
            tracing::warn!(error = %bad.error, "an event that cannot be read");
            let reason = match bad.error {
                Error::Protocol { reason, .. } => reason,
                other => other.to_string(),
            };
            let _ = shared.events.send(Err(Arc::new(BadEvent {
                name,
                reason,
                raw: bad.text,
            })));
        }
        Owner::Unknown => {
            tracing::warn!(error = %bad.error, "the server sent something that is not a QMP message");
        }
    }
}
