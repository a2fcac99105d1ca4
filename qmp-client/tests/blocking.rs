//! The blocking client against real QEMU servers, 10.0.2 and Debian 12's
//! 7.2 (each test starts its own server; without the binaries the tests
//! skip, except under CI), and against fake servers for what QEMU cannot
//! be made to do.

use qmp_client::Error;
use qmp_client::blocking::Client;
use qmp_types::{Events, cmd};
use std::time::Duration;
use test_support::Qemu;

#[test]
fn blocking_client_on_qemu_10_0() {
    commands_events_fds_and_disconnect(Qemu::V10_0);
}

#[test]
fn blocking_client_on_qemu_7_2() {
    commands_events_fds_and_disconnect(Qemu::V7_2);
}

fn commands_events_fds_and_disconnect(q: Qemu) {
    use std::os::fd::AsFd;
    let Some(mut s) = q.system("none") else {
        return;
    };
    let mut client = Client::connect_unix(&s.sock).expect("connect");
    let v = &client.greeting().version.qemu;
    assert_eq!((v.major, v.minor), q.version());
    assert!(client.oob_enabled());
    let status = client.execute(&cmd::QueryStatus).expect("query-status");
    assert!(status.running);
    client.execute(&cmd::Stop).expect("stop");
    let stop = client
        .wait_for_event(Duration::from_secs(5), |m| {
            matches!(m.event, Events::Stop(_))
        })
        .expect("STOP");
    assert!(stop.timestamp.seconds > 0);
    client
        .execute_oob(&cmd::QueryYank)
        .expect("query-yank out-of-band");
    // A command that completes with its event.
    let (_, resume) = client
        .execute_until(
            &cmd::Cont,
            |_: &qmp_types::event::Resume| true,
            Duration::from_secs(5),
        )
        .expect("RESUME");
    assert!(resume.timestamp >= stop.timestamp);
    // A descriptor travels with getfd.
    let file = std::fs::File::create(s.dir.join("f")).expect("file");
    client
        .execute_with_fds(&cmd::Getfd::new("fd0"), &[file.as_fd()])
        .expect("getfd");
    client.execute(&cmd::Closefd::new("fd0")).expect("closefd");
    match client.execute(&cmd::Closefd::new("fd0")) {
        Err(Error::Qmp { .. }) => {}
        other => panic!("{other:?}"),
    }
    // No event within the timeout.
    assert!(matches!(
        client.next_event(Some(Duration::from_millis(50))),
        Err(Error::Timeout)
    ));
    s.child.kill().expect("kill");
    s.child.wait().expect("wait");
    assert!(matches!(
        client.execute(&cmd::QueryStatus),
        Err(Error::Disconnected | Error::Io(_))
    ));
}

/// A fake server on a real socket, for what QEMU cannot be made to do:
/// greets, accepts `qmp_capabilities`, then runs `script` on the
/// connection.
fn fake(
    name: &str,
    script: impl FnOnce(
        &mut std::io::BufReader<std::os::unix::net::UnixStream>,
        &mut std::os::unix::net::UnixStream,
    ) + Send
    + 'static,
) -> (std::path::PathBuf, std::thread::JoinHandle<()>) {
    use std::io::{BufRead, Write};
    let dir = std::env::temp_dir().join(format!("qmp-blocking-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("qmp.sock");
    let listener = std::os::unix::net::UnixListener::bind(&path).expect("bind");
    let server = std::thread::spawn(move || {
        let (mut w, _) = listener.accept().expect("accept");
        let mut r = std::io::BufReader::new(w.try_clone().expect("clone"));
        w.write_all(b"{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 2, \"minor\": 0, \"major\": 10}, \"package\": \"\"}, \"capabilities\": []}}\n")
            .expect("greet");
        let mut line = String::new();
        r.read_line(&mut line).expect("capabilities");
        let v: serde_json::Value = serde_json::from_str(&line).expect("JSON");
        w.write_all(format!("{{\"return\": {{}}, \"id\": {}}}\n", v["id"]).as_bytes())
            .expect("reply");
        script(&mut r, &mut w);
        let _ = std::fs::remove_dir_all(&dir);
    });
    (path, server)
}

fn request(r: &mut impl std::io::BufRead) -> serde_json::Value {
    let mut line = String::new();
    r.read_line(&mut line).expect("a request");
    serde_json::from_str(&line).expect("JSON")
}

/// The reply line to `req`, with its id when it has one.
fn reply_to(req: &serde_json::Value, mut body: serde_json::Value) -> String {
    if let Some(id) = req.get("id") {
        body["id"] = id.clone();
    }
    body.to_string()
}

/// A call that timed out leaves its reply to come, and that reply is
/// dropped, whether it arrives while the next call waits or while the
/// program waits for events, and even when it was half read as the call
/// gave up; replies matched by id, or by order.
fn late_replies_are_dropped(name: &str, by_order: bool) {
    use std::io::Write;
    let (path, server) = fake(name, move |r, w| {
        for name in ["first", "second"] {
            let req = request(r);
            assert_eq!(req.get("id").is_none(), by_order);
            let reply = reply_to(&req, serde_json::json!({"return": {"name": name}}));
            // The first reply starts before its call gives up, and ends
            // after.
            let (start, end) = reply.split_at(if name == "first" { 10 } else { 0 });
            w.write_all(start.as_bytes()).expect("reply's start");
            w.flush().expect("flush");
            std::thread::sleep(Duration::from_millis(300));
            writeln!(w, "{end}").expect("late reply");
        }
        // The late reply to the second call comes while the client waits
        // for events, then an event.
        writeln!(
            w,
            "{{\"event\": \"STOP\", \"timestamp\": {{\"seconds\": 1, \"microseconds\": 2}}}}"
        )
        .expect("event");
        let req = request(r);
        let reply = reply_to(&req, serde_json::json!({"return": {"name": "third"}}));
        writeln!(w, "{reply}").expect("reply");
        assert_eq!(req["execute"], "query-name");
        // Until the client hangs up.
        let _ = std::io::BufRead::read_line(r, &mut String::new());
    });
    let config = qmp_client::Config {
        call_timeout: Some(Duration::from_millis(100)),
        match_by_order: by_order,
        ..Default::default()
    };
    let mut client = Client::<Events>::connect_unix_with(&path, config).expect("connect");
    assert!(matches!(
        client.execute(&cmd::QueryName),
        Err(Error::Timeout)
    ));
    // The first reply comes while this call waits: not its own.
    assert!(matches!(
        client.execute(&cmd::QueryName),
        Err(Error::Timeout)
    ));
    let stop = client
        .wait_for_event(Duration::from_secs(5), |_| true)
        .expect("the event after the late reply");
    assert!(matches!(stop.event, Events::Stop(_)));
    let third = client.execute(&cmd::QueryName).expect("its own reply");
    assert_eq!(third.name.as_deref(), Some("third"));
    drop(client);
    server.join().expect("server");
}

#[test]
fn blocking_client_drops_the_late_replies_of_calls_that_gave_up_by_id() {
    late_replies_are_dropped("late", false);
}

#[test]
fn blocking_client_drops_the_late_replies_of_calls_that_gave_up_by_order() {
    late_replies_are_dropped("late-order", true);
}

/// A line over the limit is an error once, for the call it answers; the
/// rest of it is skipped, and the next call gets its own reply.
fn over_limit_line(name: &str, by_order: bool) {
    use std::io::Write;
    let (path, server) = fake(name, move |r, w| {
        let req = request(r);
        let huge = "x".repeat(1 << 20);
        let reply = reply_to(&req, serde_json::json!({"return": {"name": huge}}));
        writeln!(w, "{reply}").expect("huge reply");
        let req = request(r);
        let reply = reply_to(&req, serde_json::json!({"return": {"name": "small"}}));
        writeln!(w, "{reply}").expect("reply");
        let _ = std::io::BufRead::read_line(r, &mut String::new());
    });
    let config = qmp_client::Config {
        max_line: 4096,
        call_timeout: Some(Duration::from_secs(5)),
        match_by_order: by_order,
        ..Default::default()
    };
    let mut client = Client::<Events>::connect_unix_with(&path, config).expect("connect");
    assert!(matches!(
        client.execute(&cmd::QueryName),
        Err(Error::LineTooLong { limit: 4096 })
    ));
    let next = client.execute(&cmd::QueryName).expect("its own reply");
    assert_eq!(next.name.as_deref(), Some("small"));
    drop(client);
    server.join().expect("server");
}

#[test]
fn blocking_client_skips_an_over_limit_line_by_id() {
    over_limit_line("over-limit", false);
}

#[test]
fn blocking_client_skips_an_over_limit_line_by_order() {
    over_limit_line("over-limit-order", true);
}

/// Answers every request with its own `tag` argument, until the client
/// hangs up.
fn echo_tags(r: &mut impl std::io::BufRead, w: &mut impl std::io::Write) {
    loop {
        let mut line = String::new();
        if !matches!(r.read_line(&mut line), Ok(n) if n > 0) {
            break;
        }
        let Ok(req) = serde_json::from_str::<serde_json::Value>(&line) else {
            break;
        };
        let reply = reply_to(
            &req,
            serde_json::json!({"return": {"tag": req["arguments"]["tag"]}}),
        );
        if writeln!(w, "{reply}").is_err() {
            break;
        }
    }
}

/// Defect 2: writing ignored `call_timeout`: a 32 MiB argument to a
/// server that does not read hung past 50 s. Now the call times out on
/// time, and once the server reads again the next call gets its own
/// reply (the rest of the abandoned request goes first, whole).
#[test]
fn blocking_client_times_out_while_writing() {
    let (go, wait) = std::sync::mpsc::channel::<()>();
    let (path, server) = fake("write-timeout", move |r, w| {
        // Not a byte read until the test says so.
        let _ = wait.recv();
        echo_tags(r, w);
    });
    let config = qmp_client::Config {
        call_timeout: Some(Duration::from_millis(500)),
        ..Default::default()
    };
    let mut client = Client::<Events>::connect_unix_with(&path, config).expect("connect");
    let blob = "x".repeat(32 << 20);
    let started = std::time::Instant::now();
    let r = client.execute_raw("x-tag", Some(serde_json::json!({"tag": blob})));
    let took = started.elapsed();
    assert!(matches!(r, Err(Error::Timeout)), "{:?}", r.err());
    assert!(
        took >= Duration::from_millis(500) && took < Duration::from_secs(5),
        "timed out after {took:?}"
    );
    go.send(()).expect("the server waits");
    let v = client
        .execute_raw("x-tag", Some(serde_json::json!({"tag": 2})))
        .expect("the next call gets its own reply");
    assert_eq!(v["tag"], 2);
    drop(client);
    server.join().expect("server");
}

/// Defect 6: with replies matched by order, an event that is not UTF-8
/// before reply 1 failed call 1 and shifted every later reply by one.
/// Now each call gets its own reply, and the event is reported.
#[test]
fn blocking_client_by_order_survives_a_non_utf8_event() {
    use std::io::Write;
    let (path, server) = fake("non-utf8-event", |r, w| {
        let req = request(r);
        w.write_all(b"{\"event\": \"STOP\", \"data\": {\"x\": \"\xff\xfe\"}, \"timestamp\": {\"seconds\": 1, \"microseconds\": 0}}\n")
            .expect("event");
        let reply = reply_to(
            &req,
            serde_json::json!({"return": {"tag": req["arguments"]["tag"]}}),
        );
        writeln!(w, "{reply}").expect("reply");
        echo_tags(r, w);
    });
    let mut client = by_order(&path);
    for tag in 1..4 {
        let v = client
            .execute_raw("x-tag", Some(serde_json::json!({ "tag": tag })))
            .expect("its own reply");
        assert_eq!(v["tag"], tag);
    }
    match client.next_event(Some(Duration::from_secs(1))) {
        Err(Error::BadEvent { name, raw, .. }) => {
            assert_eq!(name.as_deref(), Some("STOP"));
            assert!(raw.contains("STOP"), "{raw}");
        }
        other => panic!("{other:?}"),
    }
    drop(client);
    server.join().expect("server");
}

/// Defect 9: an array line does not complete the waiting call, and a
/// reply with both `return` and `error` is a protocol error keeping the
/// line (it counted as a success).
#[test]
fn blocking_client_refuses_messages_qmp_never_sends() {
    use std::io::Write;
    let (path, server) = fake("never-sent", |r, w| {
        let req = request(r);
        writeln!(w, "[null, 1, {{\"tag\": \"array\"}}]").expect("array");
        let reply = reply_to(&req, serde_json::json!({"return": {"tag": 1}}));
        writeln!(w, "{reply}").expect("reply");
        let req = request(r);
        let reply = reply_to(
            &req,
            serde_json::json!({"return": {"tag": 2}, "error": {"class": "GenericError", "desc": "both"}}),
        );
        writeln!(w, "{reply}").expect("reply");
        echo_tags(r, w);
    });
    let mut client = by_order(&path);
    let v = client
        .execute_raw("x-tag", Some(serde_json::json!({"tag": 1})))
        .expect("the array is not a reply");
    assert_eq!(v["tag"], 1);
    match client.execute_raw("x-tag", Some(serde_json::json!({"tag": 2}))) {
        Err(Error::Protocol { line, .. }) => {
            assert!(
                line.contains("\"return\"") && line.contains("\"error\""),
                "{line}"
            );
        }
        other => panic!("{other:?}"),
    }
    let v = client
        .execute_raw("x-tag", Some(serde_json::json!({"tag": 3})))
        .expect("the connection goes on");
    assert_eq!(v["tag"], 3);
    drop(client);
    server.join().expect("server");
}

/// A client matching replies by order, with a timeout against hangs.
fn by_order(path: &std::path::Path) -> Client<Events> {
    let config = qmp_client::Config {
        call_timeout: Some(Duration::from_secs(5)),
        match_by_order: true,
        ..Default::default()
    };
    Client::connect_unix_with(path, config).expect("connect")
}

/// `execute_until` counts only events read after the command is sent: a
/// matching event already queued is not taken for the awaited one, and
/// every event it skips stays queued, in order, for `next_event`. An
/// event that never comes is `Error::NoEvent`.
#[test]
fn blocking_execute_until_keeps_earlier_and_skipped_events_in_order() {
    use std::io::Write;
    let event = |name: &str, device: &str| {
        format!(
            "{{\"event\": \"{name}\", \"data\": {{\"device\": \"{device}\", \"path\": \"/p\"}}, \"timestamp\": {{\"seconds\": 1, \"microseconds\": 0}}}}\n"
        )
    };
    let (path, server) = fake("until", move |r, w| {
        // Queued before the command: a DEVICE_DELETED for the same device.
        let req = request(r);
        w.write_all(event("DEVICE_DELETED", "d1").as_bytes())
            .expect("event");
        w.write_all(
            format!(
                "{}\n",
                reply_to(
                    &req,
                    serde_json::json!({"return": {"running": true, "status": "running"}})
                )
            )
            .as_bytes(),
        )
        .expect("reply");
        let req = request(r);
        w.write_all(format!("{}\n", reply_to(&req, serde_json::json!({"return": {}}))).as_bytes())
            .expect("reply");
        w.write_all(event("DEVICE_DELETED", "d0").as_bytes())
            .expect("event");
        w.write_all(event("DEVICE_DELETED", "d1").as_bytes())
            .expect("event");
        w.write_all(event("DEVICE_DELETED", "d2").as_bytes())
            .expect("event");
        let req = request(r);
        w.write_all(format!("{}\n", reply_to(&req, serde_json::json!({"return": {}}))).as_bytes())
            .expect("reply");
        // Nothing more: the next wait times out. Until the client hangs up.
        let _ = std::io::BufRead::read_line(r, &mut String::new());
    });
    let mut client: Client<Events> = Client::connect_unix(&path).expect("connect");
    client.execute(&cmd::QueryStatus).expect("query-status");
    let wanted = |e: &qmp_types::event::DeviceDeleted| e.device.as_deref() == Some("d1");
    let (_, deleted) = client
        .execute_until(&cmd::DeviceDel::new("d1"), wanted, Duration::from_secs(5))
        .expect("DEVICE_DELETED d1");
    assert_eq!(deleted.event.device.as_deref(), Some("d1"));
    let r = client.execute_until(
        &cmd::DeviceDel::new("d3"),
        |e: &qmp_types::event::DeviceDeleted| e.device.as_deref() == Some("d3"),
        Duration::from_millis(200),
    );
    match r {
        Err(Error::NoEvent { command, event, .. }) => {
            assert_eq!((command.as_str(), event), ("device_del", "DEVICE_DELETED"))
        }
        other => panic!("{other:?}"),
    }
    // The queue: the earlier d1, then the skipped d0, then d2 (read after
    // the match, skipped by the second wait).
    let mut order = Vec::new();
    while let Ok(e) = client.next_event(Some(Duration::from_millis(50))) {
        match e.event {
            Events::DeviceDeleted(d) => order.push(d.device.unwrap_or_default()),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(order, ["d1", "d0", "d2"]);
    drop(client);
    server.join().expect("server");
}
