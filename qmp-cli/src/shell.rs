//! The interactive shell: a prompt with line editing, a history file and
//! completion (rustyline); lines in qmp-shell's syntax checked against
//! the server's schema, then sent; replies pretty-printed; events printed
//! as they arrive, above the line being typed.

use crate::complete::{Source, complete};
use crate::input::{Parsed, Reader, Request};
use crate::output::Style;
use crate::{Log, Mode, Options};
use qmp_client::{Client, Finding, GuestAgent, ServerSchema};
use rustyline::completion::Completer;
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::FileHistory;
use rustyline::validate::Validator;
use rustyline::{CompletionType, Context, Editor, ExternalPrinter, Helper};
use serde_json::Value;
use std::process::ExitCode;
use std::sync::Arc;

/// Completion for rustyline.
struct ShellHelper {
    source: Source,
}

impl Completer for ShellHelper {
    type Candidate = String;
    fn complete(
        &self,
        line: &str,
        pos: usize,
        _: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<String>)> {
        Ok(complete(&self.source, line, pos))
    }
}

impl Hinter for ShellHelper {
    type Hint = String;
}
impl Highlighter for ShellHelper {}
impl Validator for ShellHelper {}
impl Helper for ShellHelper {}

/// Where the history is kept: `$QMP_HISTORY`, else
/// `$XDG_STATE_HOME/qmp/history`, else `~/.local/state/qmp/history`.
fn history_file() -> Option<std::path::PathBuf> {
    if let Some(p) = std::env::var_os("QMP_HISTORY") {
        return Some(p.into());
    }
    let state = std::env::var_os("XDG_STATE_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".local/state"))
        })?;
    Some(state.join("qmp/history"))
}

/// What the shell talks to.
enum Peer {
    Qmp(Client, Option<Arc<ServerSchema>>),
    Agent(Box<GuestAgent>),
}

/// The value at the dotted `path` in `args` (array elements skipped).
fn value_at<'v>(args: &'v Value, path: &str) -> Option<&'v Value> {
    let mut v = args;
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let name = part.split('[').next().unwrap_or(part);
        v = v.get(name)?;
        if part.contains('[') {
            v = v.get(0)?;
        }
    }
    Some(v)
}

/// The message for a finding, with what the server accepts there.
fn explain(schema: &ServerSchema, command: &str, args: &Value, f: &Finding) -> String {
    let accepted = match f {
        Finding::UnknownMember { path } => {
            let parent = path.rsplit_once('.').map_or("", |(p, _)| p);
            let given = value_at(args, parent).unwrap_or(&Value::Null);
            schema
                .argument_type(command, &strip_indexes(parent))
                .map(|t| t.member_names_for(given).join(", "))
        }
        Finding::UnknownValue { path, .. } => schema
            .argument(command, &strip_indexes(path))
            .and_then(|m| m.ty.values().map(|v| v.collect::<Vec<_>>().join(", "))),
        _ => None,
    };
    match accepted {
        Some(a) if !a.is_empty() => format!("{command}: {f} (the server takes: {a})"),
        _ => format!("{command}: {f}"),
    }
}

/// `a[0].b` as the path `a.b` (array elements are looked up through).
fn strip_indexes(path: &str) -> String {
    let mut out = String::new();
    let mut skip = false;
    for c in path.chars() {
        match c {
            '[' => skip = true,
            ']' => skip = false,
            c if !skip => out.push(c),
            _ => {}
        }
    }
    out
}

/// The docs `cargo xtask regen` took from the pinned schema's doc
/// comments (servers do not send their docs).
static QMP_DOCS: &str = include_str!("generated/qmp-docs.json");
/// The guest agent's.
static QGA_DOCS: &str = include_str!("generated/qga-docs.json");

/// The QMP or the guest agent's docs table, parsed on first use.
fn table(agent: bool) -> &'static Value {
    static QMP: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    static QGA: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    let (cell, text) = if agent {
        (&QGA, QGA_DOCS)
    } else {
        (&QMP, QMP_DOCS)
    };
    cell.get_or_init(|| serde_json::from_str(text).unwrap_or(Value::Null))
}

/// The docs of `command` (from the QMP or the guest agent's table), and
/// the QEMU release they are of.
fn docs(agent: bool, command: &str) -> Option<(Value, String)> {
    let table = table(agent);
    let release = table["qemu"].as_str().unwrap_or("?").to_string();
    Some((table["commands"].get(command)?.clone(), release))
}

/// The guest agent's commands' argument names, from its docs table.
fn agent_arguments() -> std::collections::HashMap<String, Vec<String>> {
    let commands = table(true)["commands"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    commands
        .into_iter()
        .map(|(name, doc)| {
            let args = doc["arguments"]
                .as_object()
                .map(|a| a.keys().cloned().collect())
                .unwrap_or_default();
            (name, args)
        })
        .collect()
}

/// Indents every line of `text` by `pad`.
fn indent(text: &str, pad: &str) -> String {
    text.lines()
        .map(|l| format!("{pad}{l}\n"))
        .collect::<String>()
}

/// `help` and `help COMMAND`: what the server has (from its schema), with
/// the command's documentation (from the bindings' release) when known.
fn help(schema: Option<&ServerSchema>, agent: bool, command: Option<&str>) -> String {
    let Some(command) = command else {
        let names: Vec<String> = match schema {
            Some(s) => s.commands().map(String::from).collect(),
            None => table(true)["commands"]
                .as_object()
                .map(|c| c.keys().cloned().collect())
                .unwrap_or_default(),
        };
        return format!(
            "{} commands (help COMMAND for its arguments):\n{}\n",
            names.len(),
            names.join(" ")
        );
    };
    if schema.is_some_and(|s| !s.has_command(command)) {
        return format!("the server has no command {command}\n");
    }
    let (doc, release) = docs(agent, command).unwrap_or((Value::Null, String::new()));
    let mut out = command.to_string();
    if let Some(f) = schema
        .and_then(|s| s.features(command))
        .filter(|f| !f.is_empty())
    {
        out.push_str(&format!(" [{}]", f.join(", ")));
    }
    if let Some(since) = doc["since"].as_str() {
        out.push_str(&format!(" (since {since})"));
    }
    out.push('\n');
    if let Some(text) = doc["doc"].as_str() {
        out.push_str(&indent(text, "  "));
    }
    let args: Vec<String> = match schema {
        Some(s) => s
            .argument_type(command, "")
            .map(|t| t.member_names().into_iter().map(String::from).collect())
            .unwrap_or_default(),
        None => doc["arguments"]
            .as_object()
            .map(|a| a.keys().cloned().collect())
            .unwrap_or_default(),
    };
    out.push_str(if args.is_empty() {
        "no arguments\n"
    } else {
        "arguments:\n"
    });
    for name in &args {
        let mut line = format!("  {name}");
        if let Some(m) = schema.and_then(|s| s.argument(command, name)) {
            line.push_str(&format!(
                "{}: {}",
                if m.optional() { " (optional)" } else { "" },
                m.ty.json_kind().describe()
            ));
            if let Some(values) = m.ty.values() {
                line.push_str(&format!(
                    ", one of {}",
                    values.collect::<Vec<_>>().join(", ")
                ));
            }
            if !m.features().is_empty() {
                line.push_str(&format!(" [{}]", m.features().join(", ")));
            }
        }
        out.push_str(&line);
        out.push('\n');
        if let Some(text) = doc["arguments"][name.as_str()].as_str() {
            out.push_str(&indent(text, "      "));
        }
    }
    if let Some(r) = schema.and_then(|s| s.return_type(command)) {
        match (r.json_kind(), r.member_names().is_empty()) {
            (qmp_client::JsonKind::Object, true) => out.push_str("returns nothing\n"),
            (kind, _) => out.push_str(&format!("returns {}\n", kind.describe())),
        }
    }
    if let Some(text) = doc["returns"].as_str() {
        out.push_str(&indent(text, "  "));
    }
    if let Some(features) = doc["features"].as_object() {
        for (name, text) in features {
            out.push_str(&format!("feature {name}:\n"));
            out.push_str(&indent(text.as_str().unwrap_or_default(), "  "));
        }
    }
    if !release.is_empty() {
        let server = schema.and_then(|s| s.version()).map(|v| v.qemu.to_string());
        match server {
            Some(v) if v != release => out.push_str(&format!(
                "(the text is QEMU {release}'s; this server is QEMU {v}: the arguments above are its own)\n"
            )),
            _ => {}
        }
    }
    out
}

/// Runs the shell until end of input.
pub(crate) fn run(opts: &Options, address: &str) -> ExitCode {
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let style = Style {
        color: crate::output::want_color(opts.no_color),
    };
    let mut log = Log::open(opts.log.as_deref());
    let mut peer = match rt.block_on(crate::connect(opts, address)) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{}", style.error(&e));
            return ExitCode::from(2);
        }
    };
    let source = match &mut peer {
        crate::Connected::Qmp(client) => {
            let v = &client.greeting().version;
            println!("Connected to QEMU {} {}", v.qemu, v.package.trim());
            match rt.block_on(client.schema()) {
                Ok(s) => Source::Qmp(s),
                Err(_) => Source::None,
            }
        }
        crate::Connected::Agent(agent) => {
            let names = rt
                .block_on(agent.execute(&qmp_client::qmp_types::qga::cmd::GuestInfo))
                .map(|i| {
                    println!("Connected to qemu-ga {}", i.version);
                    i.supported_commands
                        .into_iter()
                        .filter(|c| c.enabled)
                        .map(|c| c.name)
                        .collect()
                })
                .unwrap_or_default();
            Source::Agent(names, agent_arguments())
        }
    };
    let schema = match &source {
        Source::Qmp(s) => Some(s.clone()),
        _ => None,
    };
    let source = if opts.mode == Mode::Hmp {
        Source::None
    } else {
        source
    };
    let mut peer = match peer {
        crate::Connected::Qmp(c) => Peer::Qmp(c, schema),
        crate::Connected::Agent(a) => Peer::Agent(a),
    };

    let config = rustyline::Config::builder()
        .completion_type(CompletionType::List)
        .auto_add_history(true)
        .build();
    let mut editor: Editor<ShellHelper, FileHistory> = match Editor::with_config(config) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    editor.set_helper(Some(ShellHelper { source }));
    let history = history_file();
    if let Some(h) = &history {
        let _ = editor.load_history(h);
    }
    // Events, printed as they come (above the line being typed).
    if let Peer::Qmp(client, _) = &peer
        && let Ok(mut printer) = editor.create_external_printer()
    {
        let mut events = client.events();
        let mut event_log = log.clone();
        rt.spawn(async move {
            while let Ok(msg) = events.next().await {
                let v = serde_json::to_value(&*msg).unwrap_or(Value::Null);
                event_log.write("event", &v);
                let name = v["event"].as_str().unwrap_or("?");
                let data = v.get("data").map(|d| format!(" {d}")).unwrap_or_default();
                let t = &msg.timestamp;
                let line = format!("event {name} at {}.{:06}{data}", t.seconds, t.microseconds);
                if printer.print(line).is_err() {
                    break;
                }
            }
        });
    }

    let mut reader = Reader::default();
    let mut cpu: Option<i64> = None;
    loop {
        let prompt = match (opts.mode, reader.in_transaction()) {
            (_, true) => "transaction> ",
            (Mode::Hmp, _) => "(hmp) ",
            (Mode::Agent, _) => "(qga) ",
            _ => "(qmp) ",
        };
        let line = match editor.readline(prompt) {
            Ok(l) => l,
            Err(ReadlineError::Interrupted) => continue,
            Err(_) => break,
        };
        let trimmed = line.trim();
        if matches!(trimmed, "quit" | "exit") && !reader.in_transaction() {
            break;
        }
        if opts.mode == Mode::Hmp {
            if let Some(n) = trimmed.strip_prefix("cpu ") {
                match n.trim().parse() {
                    Ok(n) => cpu = Some(n),
                    Err(_) => eprintln!("cpu takes a CPU index"),
                }
                continue;
            }
            if trimmed.is_empty() {
                continue;
            }
            let mut args = serde_json::json!({ "command-line": trimmed });
            if let Some(n) = cpu {
                args["cpu-index"] = n.into();
            }
            let request = Request {
                name: "human-monitor-command".into(),
                arguments: Some(args),
            };
            match send(&rt, &mut peer, &request, opts, &mut log) {
                Ok(Value::String(text)) => print!("{text}"),
                Ok(other) => println!("{}", style.json(&other)),
                Err(e) => eprintln!("{}", style.error(&e)),
            }
            continue;
        }
        if let Some(rest) = trimmed.strip_prefix("help") {
            if rest.is_empty() || rest.starts_with(' ') {
                let command = rest.split_whitespace().next();
                match &peer {
                    Peer::Qmp(_, schema) => print!("{}", help(schema.as_deref(), false, command)),
                    Peer::Agent(_) => print!("{}", help(None, true, command)),
                }
                continue;
            }
        }
        let request = match reader.line(&line) {
            Ok(Parsed::Request(r)) => r,
            Ok(Parsed::Pending | Parsed::Empty) => continue,
            Err(e) => {
                eprintln!("error: {e}");
                continue;
            }
        };
        if let Peer::Qmp(_, Some(schema)) = &peer {
            let args = request
                .arguments
                .clone()
                .unwrap_or(Value::Object(Default::default()));
            let refused: Vec<Finding> = schema
                .check_arguments(&request.name, &args)
                .into_iter()
                .filter(Finding::refused)
                .collect();
            if !refused.is_empty() {
                for f in &refused {
                    eprintln!("error: {}", explain(schema, &request.name, &args, f));
                }
                continue;
            }
        }
        match send(&rt, &mut peer, &request, opts, &mut log) {
            Ok(v) => println!("{}", style.json(&v)),
            Err(e) => eprintln!("{}", style.error(&e)),
        }
    }
    if let Some(h) = &history {
        if let Some(dir) = h.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = editor.save_history(h);
    }
    ExitCode::SUCCESS
}

/// Sends a request (echoed with `-v`, logged with `-l`) and waits for
/// its reply.
fn send(
    rt: &tokio::runtime::Runtime,
    peer: &mut Peer,
    request: &Request,
    opts: &Options,
    log: &mut Log,
) -> Result<Value, qmp_client::Error> {
    let sent = request.to_json();
    if opts.verbose {
        println!("{sent}");
    }
    log.write("request", &sent);
    let result = rt.block_on(async {
        match peer {
            Peer::Qmp(c, _) => {
                c.execute_raw(&request.name, request.arguments.clone())
                    .await
            }
            Peer::Agent(a) => {
                a.execute_raw(&request.name, request.arguments.clone())
                    .await
            }
        }
    });
    match &result {
        Ok(v) => log.write("return", v),
        Err(e) => log.write("error", &Value::String(e.to_string())),
    }
    result
}
