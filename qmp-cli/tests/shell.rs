//! The `qmp` binary as a person uses it: the shell driven in a
//! pseudo-terminal (expectrl), and the one-shot forms with their output
//! and exit codes, against live qemu-system-x86_64, qemu-storage-daemon
//! and qemu-ga 10.0.2 (each test starts its own; without the binaries
//! they skip, except under CI).

use expectrl::Session;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use test_support::Server;

const QMP: &str = env!("CARGO_BIN_EXE_qmp");

/// A paused `pc` machine with a second QMP socket (`second.sock`), to
/// cause events while the shell waits at its prompt.
fn machine() -> Option<(Server, PathBuf)> {
    let mut second = PathBuf::new();
    let s = test_support::start("qemu-system-x86_64", |sock| {
        let dir = Path::new(sock).parent().expect("a directory");
        second = dir.join("second.sock");
        let mut a = test_support::system("pc", &format!("unix:{sock}"));
        a.push("-qmp".into());
        a.push(format!("unix:{},server=on,wait=off", second.display()));
        a
    })?;
    Some((s, second))
}

/// The shell in a pseudo-terminal, without colour, with its history in
/// `dir`.
fn shell(args: &[&str], dir: &Path) -> Session {
    let mut cmd = Command::new(QMP);
    cmd.args(args)
        .env("NO_COLOR", "1")
        .env("QMP_HISTORY", dir.join("history"))
        .env("TERM", "xterm");
    let mut p = Session::spawn(cmd).expect("spawn qmp");
    p.set_expect_timeout(Some(Duration::from_secs(15)));
    p
}

fn expect(p: &mut Session, what: &str) {
    if let Err(e) = p.expect(what) {
        panic!("expected {what:?}: {e}");
    }
}

/// Waits for the shell to end.
fn ends(p: &mut Session) {
    if let Err(e) = p.expect(expectrl::Eof) {
        panic!("expected the shell to end: {e}");
    }
}

/// Clears the line being typed (Ctrl-U).
const CLEAR: &str = "\x15";

/// Types `line` at the prompt `prompt` (waited for first: the line
/// editor discards what is typed before it takes the terminal), and
/// waits for `reply`.
fn at(p: &mut Session, prompt: &str, line: &str, reply: &str) {
    expect(p, prompt);
    p.send(line).expect("send");
    expect(p, reply);
}

#[test]
fn the_shell_completes_checks_sends_and_prints_events_while_idle() {
    let Some((s, second)) = machine() else { return };
    let sock = s.sock.display().to_string();
    let mut p = shell(&[&sock], &s.dir);
    expect(&mut p, "Connected to QEMU 10.0.2");
    let q = "(qmp) ";
    // A command name, completed, then sent.
    at(&mut p, q, "query-statu\t", "query-status");
    p.send_line("").expect("send");
    expect(&mut p, "\"status\": \"prelaunch\"");
    // An argument name, and an enum value.
    at(&mut p, q, "blockdev-add node-n\t", "node-name=");
    p.send_line(CLEAR).expect("send");
    at(&mut p, q, "blockdev-add driver=vmd\t", "driver=vmdk");
    p.send_line(CLEAR).expect("send");
    // Dotted keys build the nested object.
    at(
        &mut p,
        q,
        "blockdev-add driver=raw node-name=r0 file.driver=null-co file.size=1048576\r",
        "{}",
    );
    at(
        &mut p,
        q,
        "query-named-block-nodes flat=true\r",
        "\"node-name\": \"r0\"",
    );
    // The server's error, as ClassName: desc.
    at(
        &mut p,
        q,
        "blockdev-del node-name=nope\r",
        "GenericError: Failed to find node with node-name='nope'",
    );
    // Checked against the server's schema before sending.
    at(
        &mut p,
        q,
        "blockdev-add driver=raw no-such-member=1\r",
        "no member no-such-member (the server takes: ",
    );
    at(
        &mut p,
        q,
        "query-named-block-nodes flat=yes\r",
        "flat takes true or false",
    );
    // An event, printed while the shell waits at its prompt.
    expect(&mut p, q);
    let mut other = qmp_client::blocking::Client::connect_unix(&second).expect("second monitor");
    other
        .execute(&qmp_client::qmp_types::cmd::Cont)
        .expect("cont");
    expect(&mut p, "event RESUME at ");
    at(&mut p, q, "help blockdev-del\r", "node-name: a string");
    expect(&mut p, "Name of the graph node to delete.");
    at(&mut p, q, "quit\r", "quit");
    ends(&mut p);

    // History, across two runs: the last line comes back with Up.
    let mut p = shell(&[&sock], &s.dir);
    at(&mut p, q, "\x1b[A", "quit");
    p.send("\x1b[A").expect("send");
    expect(&mut p, "help blockdev-del");
    p.send(CLEAR).expect("send");
    p.send("quit\r").expect("send");
    ends(&mut p);
}

#[test]
fn hmp_mode_sends_lines_to_the_human_monitor() {
    let Some((s, _)) = machine() else { return };
    let mut p = shell(&["-H", &s.sock.display().to_string()], &s.dir);
    let h = "(hmp) ";
    at(&mut p, h, "info version\r", "10.0.2");
    at(&mut p, h, "cpu 0\r", "cpu 0");
    at(&mut p, h, "info registers\r", "EAX=");
    at(&mut p, h, "quit\r", "quit");
    ends(&mut p);
}

#[test]
fn guest_agent_mode_completes_from_guest_info() {
    let Some(s) = test_support::start("qemu-ga", |sock| {
        vec!["-m".into(), "unix-listen".into(), "-p".into(), sock.into()]
    }) else {
        return;
    };
    // qemu-ga creates its socket a moment after it starts.
    for _ in 0..200 {
        if s.sock.exists() {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let mut p = shell(&["-g", &s.sock.display().to_string()], &s.dir);
    expect(&mut p, "Connected to qemu-ga 10.0.2");
    let g = "(qga) ";
    at(&mut p, g, "guest-get-osi\t", "guest-get-osinfo");
    p.send_line("").expect("send");
    expect(&mut p, "\"kernel-release\"");
    at(&mut p, g, "guest-ping\r", "{}");
    at(&mut p, g, "help guest-ping\r", "Ping the guest agent");
    // An argument name, from the bindings (the agent has no introspection).
    at(&mut p, g, "guest-exec-status p\t", "guest-exec-status pid=");
    p.send(CLEAR).expect("send");
    p.send("quit\r").expect("send");
    ends(&mut p);
}

/// `qmp ARGS...`: exit code, stdout, stderr.
fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(QMP)
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run qmp");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn one_shot_prints_the_return_as_json_and_says_what_failed_by_exit_code() {
    let Some(s) = test_support::start("qemu-storage-daemon", test_support::storage_daemon) else {
        return;
    };
    let sock = s.sock.display().to_string();
    let (code, out, _) = run(&["-s", &sock, "query-version"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).expect("JSON on stdout");
    assert_eq!(v["qemu"]["major"], 10);
    let (code, out, _) = run(&[
        "-s",
        &sock,
        "blockdev-add",
        "driver=raw",
        "node-name=r0",
        "file.driver=null-co",
        "file.size=4096",
    ]);
    assert_eq!((code, out.trim()), (0, "{}"));
    // A server error: exit 1, ClassName: desc on stderr.
    let (code, out, err) = run(&["-s", &sock, "blockdev-del", "node-name=nope"]);
    assert_eq!((code, out.as_str()), (1, ""));
    assert!(err.starts_with("GenericError: "), "{err}");
    // A connection error and a usage error: exit 2.
    let missing = s.dir.join("missing.sock").display().to_string();
    let (code, _, err) = run(&["-s", &missing, "query-version"]);
    assert_eq!(code, 2);
    assert!(err.contains("missing.sock"), "{err}");
    let (code, _, err) = run(&["-s", &sock, "query-version", "novalue"]);
    assert_eq!(code, 2);
    assert!(err.contains("expected key=value"), "{err}");
    // info on the storage daemon: its nodes, no run state.
    let (code, out, _) = run(&["-s", &sock, "info"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("QEMU 10.0.2"), "{out}");
    assert!(out.contains("r0 (raw)"), "{out}");
    assert!(!out.contains("status:"), "{out}");
    // events' own options, wrong.
    let (code, _, err) = run(&["-s", &sock, "events", "--count", "many"]);
    assert!(code == 2 && err.contains("--count takes a number"), "{err}");
    let (code, _, err) = run(&["-s", &sock, "events", "--timeout", "-1"]);
    assert!(
        code == 2 && err.contains("--timeout takes seconds"),
        "{err}"
    );
    // events: none come within the timeout.
    let (code, out, _) = run(&["-s", &sock, "events", "--timeout", "0.2"]);
    assert_eq!((code, out.as_str()), (0, ""));
}

#[test]
fn one_shot_info_and_events_on_the_system_emulator() {
    let Some((s, second)) = machine() else { return };
    let sock = s.sock.display().to_string();
    let (code, out, _) = run(&["-s", &sock, "info"]);
    assert_eq!(code, 0, "{out}");
    for part in [
        "QEMU 10.0.2",
        "status: prelaunch",
        "machine: pc-i440fx",
        "cpus: 1",
        "memory: 128.0 MiB",
        "migration: none",
    ] {
        assert!(out.contains(part), "{part}: {out}");
    }
    // An event as a JSON line, once a second client causes it.
    let waiter = std::thread::spawn(move || {
        run(&[
            "-s",
            &sock,
            "events",
            "RESUME",
            "--count",
            "1",
            "--timeout",
            "20",
        ])
    });
    std::thread::sleep(Duration::from_millis(500));
    let mut other = qmp_client::blocking::Client::connect_unix(&second).expect("second monitor");
    other
        .execute(&qmp_client::qmp_types::cmd::Cont)
        .expect("cont");
    let (code, out, _) = waiter.join().expect("events");
    assert_eq!(code, 0);
    let e: serde_json::Value = serde_json::from_str(out.trim()).expect("one JSON line");
    assert_eq!(e["event"], "RESUME");
}

#[test]
fn completion_scripts_come_from_the_argument_parser() {
    let (code, out, _) = run(&["completions", "bash"]);
    assert_eq!(code, 0);
    assert!(out.contains("_qmp()"), "{out}");
    let (code, _, _) = run(&["completions", "nosuchshell"]);
    assert_eq!(code, 2);
    let (code, _, err) = run(&["-H", "-g", "-s", "x", "query-status"]);
    assert_eq!(code, 2);
    assert!(err.contains("-H and -g do not go together"), "{err}");
    let (code, _, err) = run(&["query-status", "extra"]);
    assert_eq!(code, 2);
    assert!(err.contains("one-shot use takes -s SOCKET"), "{err}");
    let (code, out, _) = run(&["manpage"]);
    assert_eq!(code, 0);
    assert!(out.contains(".TH qmp"), "{out}");
}

/// Over TCP (`host:port`), with `-v` echoing the request and `-l`
/// logging it with its reply.
#[test]
fn one_shot_over_tcp_echoes_and_logs() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let Some(s) = test_support::start("qemu-system-x86_64", |_| {
        test_support::system("none", &format!("tcp:127.0.0.1:{port}"))
    }) else {
        return;
    };
    let address = format!("127.0.0.1:{port}");
    let log = s.dir.join("qmp.log");
    let mut result = (0, String::new(), String::new());
    // The port opens a moment after QEMU starts.
    for _ in 0..100 {
        result = run(&[
            "-v",
            "-l",
            log.to_str().expect("UTF-8"),
            "-s",
            &address,
            "query-status",
        ]);
        if result.0 == 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let (code, out, err) = result;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\"running\""), "{out}");
    assert_eq!(err.trim(), r#"{"execute":"query-status"}"#);
    let logged = std::fs::read_to_string(&log).expect("the log");
    let lines: Vec<&str> = logged.lines().collect();
    assert!(
        lines
            .iter()
            .any(|l| l.contains(" request {\"execute\":\"query-status\"}")),
        "{logged}"
    );
    assert!(lines.iter().any(|l| l.contains(" return {")), "{logged}");
}
