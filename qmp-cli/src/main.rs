//! `qmp`: the shell and command-line tool for people (qmp-shell and
//! vm-info, done better), on the typed client and the server's own
//! schema.
//!
//! ```text
//! qmp SOCKET                          the shell (or $QMP_SOCKET)
//! qmp -s SOCKET COMMAND [key=value]   one command: its return as JSON
//! qmp -s SOCKET events [NAME...] [--count N] [--timeout S]
//! qmp -s SOCKET info                  a one-screen summary of the VM
//! qmp completions bash|zsh|fish       a completion script
//! qmp manpage                         the manual page (roff)
//! ```
//!
//! Exit codes: 0, 1 for an error the server returned, 2 for a connection
//! or usage error.

mod complete;
mod info;
mod input;
mod output;
mod shell;

use clap::{CommandFactory, Parser};
use output::Style;
use qmp_client::{Client, Config, GuestAgent};
use serde_json::Value;
use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

/// The command line.
#[derive(Parser, Debug)]
#[command(
    name = "qmp",
    version,
    about = "A shell and a command-line tool for QEMU's monitor (QMP) and guest agent",
    after_help = "Forms:\n  qmp [SOCKET]                        the shell (SOCKET or $QMP_SOCKET)\n  qmp -s SOCKET COMMAND [key=value...]  one command; its return as JSON\n  qmp -s SOCKET events [NAME...] [--count N] [--timeout S]\n  qmp -s SOCKET info                  a summary of the VM\n  qmp completions bash|zsh|fish|elvish|powershell\n  qmp manpage                         the manual page (roff)\n\nSOCKET is a Unix socket path or host:port. Exit codes: 0; 1 for an error the server returned; 2 for a connection or usage error."
)]
pub(crate) struct Options {
    /// The server's socket (a path, or host:port), for one-shot use.
    #[arg(short = 's', long = "socket", value_name = "SOCKET")]
    socket: Option<String>,
    /// Human monitor mode: lines go through human-monitor-command.
    #[arg(short = 'H', long = "hmp")]
    hmp: bool,
    /// Guest agent mode (qemu-ga's socket).
    #[arg(short = 'g', long = "guest-agent")]
    agent: bool,
    /// Echo the JSON sent.
    #[arg(short = 'v', long)]
    pub(crate) verbose: bool,
    /// Log every request, reply and event, with timestamps, to FILE.
    #[arg(short = 'l', long = "log", value_name = "FILE")]
    pub(crate) log: Option<std::path::PathBuf>,
    /// No colour (also with NO_COLOR set, or when output is not a terminal).
    #[arg(long)]
    pub(crate) no_color: bool,
    /// The socket for the shell; or COMMAND [key=value...], `events`,
    /// `info` with -s; or `completions SHELL`.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    rest: Vec<String>,
    #[arg(skip)]
    pub(crate) mode: Mode,
}

/// What the lines are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Mode {
    /// QMP commands.
    #[default]
    Qmp,
    /// Human monitor commands.
    Hmp,
    /// Guest agent commands.
    Agent,
}

/// A connection.
pub(crate) enum Connected {
    Qmp(Client),
    // Boxed: the guest agent's client holds its read buffer inline.
    Agent(Box<GuestAgent>),
}

/// Connects to `address` (a Unix socket path, or host:port), the guest
/// agent with `-g`.
pub(crate) async fn connect(opts: &Options, address: &str) -> Result<Connected, qmp_client::Error> {
    let config = Config {
        connect_timeout: Duration::from_secs(5),
        ..Config::default()
    };
    let is_tcp = !std::path::Path::new(address).exists()
        && address
            .rsplit_once(':')
            .is_some_and(|(_, p)| p.parse::<u16>().is_ok());
    if opts.mode == Mode::Agent {
        return GuestAgent::connect_unix_with(address, config)
            .await
            .map(|a| Connected::Agent(Box::new(a)));
    }
    if is_tcp {
        return Client::connect_tcp(address).await.map(Connected::Qmp);
    }
    Client::connect_unix_with(address, config)
        .await
        .map(Connected::Qmp)
}

/// `-l FILE`: one line per request, reply and event, timestamped.
#[derive(Clone, Default)]
pub(crate) struct Log {
    file: Option<std::sync::Arc<std::sync::Mutex<std::fs::File>>>,
}

impl Log {
    fn open(path: Option<&std::path::Path>) -> Log {
        let file = path.and_then(|p| {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(p)
                .map_err(|e| eprintln!("cannot log to {}: {e}", p.display()))
                .ok()
        });
        Log {
            file: file.map(|f| std::sync::Arc::new(std::sync::Mutex::new(f))),
        }
    }

    pub(crate) fn write(&mut self, what: &str, v: &Value) {
        if let Some(f) = &self.file
            && let Ok(mut f) = f.lock()
        {
            let _ = writeln!(f, "{} {what} {v}", output::timestamp());
        }
    }
}

fn usage(message: &str) -> ExitCode {
    eprintln!("qmp: {message} (qmp --help)");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let mut opts = Options::parse();
    opts.mode = match (opts.hmp, opts.agent) {
        (true, true) => return usage("-H and -g do not go together"),
        (true, false) => Mode::Hmp,
        (false, true) => Mode::Agent,
        (false, false) => Mode::Qmp,
    };
    let rest = opts.rest.clone();
    if rest.first().map(String::as_str) == Some("manpage") {
        let man = clap_mangen::Man::new(Options::command());
        return match man.render(&mut std::io::stdout()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("qmp: {e}");
                ExitCode::from(2)
            }
        };
    }
    if rest.first().map(String::as_str) == Some("completions") {
        let Some(shell) = rest
            .get(1)
            .and_then(|s| s.parse::<clap_complete::Shell>().ok())
        else {
            return usage("completions takes bash, zsh, fish, elvish or powershell");
        };
        clap_complete::generate(
            shell,
            &mut Options::command(),
            "qmp",
            &mut std::io::stdout(),
        );
        return ExitCode::SUCCESS;
    }
    let env_socket = std::env::var("QMP_SOCKET").ok();
    match (&opts.socket, rest.as_slice()) {
        // The shell: `qmp`, `qmp SOCKET`, `qmp shell SOCKET`.
        (None, []) => match &env_socket {
            Some(s) => shell::run(&opts, s),
            None => usage("no socket: give one, or set QMP_SOCKET"),
        },
        (None, [shell, socket]) if shell == "shell" => shell::run(&opts, socket),
        (None, [socket]) => shell::run(&opts, socket),
        (Some(socket), []) => shell::run(&opts, socket),
        (None, _) => usage("one-shot use takes -s SOCKET"),
        (Some(socket), [first, args @ ..]) => one_shot(&opts, socket, first, args),
    }
}

/// `qmp -s SOCKET ...`.
fn one_shot(opts: &Options, socket: &str, first: &str, args: &[String]) -> ExitCode {
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("qmp: {e}");
            return ExitCode::from(2);
        }
    };
    rt.block_on(async {
        let style = Style {
            color: output::want_color(opts.no_color),
        };
        let mut log = Log::open(opts.log.as_deref());
        let mut peer = match connect(opts, socket).await {
            Ok(p) => p,
            Err(e) => {
                eprintln!("qmp: {e}");
                return ExitCode::from(2);
            }
        };
        match (&mut peer, first) {
            (Connected::Qmp(client), "events") if opts.mode == Mode::Qmp => {
                events(client, args, &mut log).await
            }
            (Connected::Qmp(client), "info") if opts.mode == Mode::Qmp => {
                let schema = match client.schema().await {
                    Ok(s) => s,
                    Err(e) => {
                        eprintln!("qmp: {e}");
                        return ExitCode::from(2);
                    }
                };
                for line in info::summary(client, &schema).await {
                    println!("{line}");
                }
                ExitCode::SUCCESS
            }
            (peer, name) => {
                let request = match opts.mode {
                    Mode::Hmp => input::Request {
                        name: "human-monitor-command".into(),
                        arguments: Some(serde_json::json!({
                            "command-line": std::iter::once(name.to_string())
                                .chain(args.iter().cloned())
                                .collect::<Vec<_>>()
                                .join(" ")
                        })),
                    },
                    _ => match input::from_args(name, args) {
                        Ok(r) => r,
                        Err(e) => return usage(&e),
                    },
                };
                let sent = request.to_json();
                if opts.verbose {
                    eprintln!("{sent}");
                }
                log.write("request", &sent);
                let result = match peer {
                    Connected::Qmp(c) => {
                        c.execute_raw(&request.name, request.arguments.clone())
                            .await
                    }
                    Connected::Agent(a) => {
                        a.execute_raw(&request.name, request.arguments.clone())
                            .await
                    }
                };
                match result {
                    Ok(Value::String(text)) if opts.mode == Mode::Hmp => {
                        print!("{text}");
                        ExitCode::SUCCESS
                    }
                    Ok(v) => {
                        log.write("return", &v);
                        println!("{}", style.json(&v));
                        ExitCode::SUCCESS
                    }
                    Err(e @ qmp_client::Error::Qmp { .. }) => {
                        log.write("error", &Value::String(e.to_string()));
                        eprintln!("{}", style.error(&e));
                        ExitCode::from(1)
                    }
                    Err(e) => {
                        eprintln!("qmp: {e}");
                        ExitCode::from(2)
                    }
                }
            }
        }
    })
}

/// `qmp -s SOCKET events [NAME...] [--count N] [--timeout S]`: events as
/// JSON lines.
async fn events(client: &Client, args: &[String], log: &mut Log) -> ExitCode {
    let (mut names, mut count, mut timeout) = (Vec::new(), None, None);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--count" => match it.next().and_then(|n| n.parse::<usize>().ok()) {
                Some(n) => count = Some(n),
                None => return usage("--count takes a number"),
            },
            "--timeout" => match it.next().and_then(|n| n.parse::<f64>().ok()) {
                Some(s) if s >= 0.0 => timeout = Some(Duration::from_secs_f64(s)),
                _ => return usage("--timeout takes seconds"),
            },
            name => names.push(name.to_string()),
        }
    }
    let mut stream = client.events_where(move |m| {
        names.is_empty()
            || names
                .iter()
                .any(|n| n == qmp_client::qmp_types::EventSet::name(&m.event))
    });
    let deadline = timeout.map(|t| tokio::time::Instant::now() + t);
    let mut seen = 0;
    while count.is_none_or(|c| seen < c) {
        let next = match deadline {
            Some(d) => match tokio::time::timeout_at(d, stream.next()).await {
                Ok(n) => n,
                Err(_) => break,
            },
            None => stream.next().await,
        };
        match next {
            Ok(msg) => {
                let v = serde_json::to_value(&*msg).unwrap_or(Value::Null);
                log.write("event", &v);
                println!("{v}");
                seen += 1;
            }
            Err(qmp_client::Error::Lagged(_) | qmp_client::Error::BadEvent { .. }) => {}
            Err(e) => {
                eprintln!("qmp: {e}");
                return ExitCode::from(2);
            }
        }
    }
    ExitCode::SUCCESS
}
