//! Fault tests against a fake server on a real Unix socket: the server
//! dies mid-call, sends garbage, a truncated line, an over-limit line, a
//! reply with an unknown id, floods a subscriber that never reads; calls
//! cancelled mid-flight. No panic, no hang, nothing misrouted.

use qmp_client::{Client, Config, Error};
use qmp_types::cmd;
use serde_json::json;
use std::time::Duration;
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};

mod fake;

use fake::{fake, read_request, reply_to, socket_path};

#[tokio::test]
async fn server_dies_mid_call_every_pending_call_fails_promptly() {
    let (client, _server) = fake("dies", Config::default(), |mut r, w| async move {
        // Read the calls, answer none, then die.
        for _ in 0..8 {
            read_request(&mut r).await;
        }
        drop((r, w));
    })
    .await;
    let calls: Vec<_> = (0..8)
        .map(|_| {
            let c = client.clone();
            tokio::spawn(async move { c.execute(&cmd::QueryStatus).await })
        })
        .collect();
    let started = std::time::Instant::now();
    for call in calls {
        let r = tokio::time::timeout(Duration::from_secs(1), call)
            .await
            .expect("no hang")
            .expect("no panic");
        assert!(matches!(r, Err(Error::Disconnected)), "{r:?}");
    }
    assert!(started.elapsed() < Duration::from_secs(1));
    // And later calls fail at once.
    assert!(matches!(
        client.execute(&cmd::QueryStatus).await,
        Err(Error::Disconnected)
    ));
    assert!(client.is_closed());
}

#[tokio::test]
async fn garbage_and_unknown_ids_do_not_disturb_replies() {
    let (client, _server) = fake("garbage", Config::default(), |mut r, mut w| async move {
        let req = read_request(&mut r).await.expect("a request");
        w.write_all(b"this is not json\r\n").await.ok();
        w.write_all(b"{\"return\": {}, \"id\": 999999}\r\n")
            .await
            .ok();
        w.write_all(b"[1, 2, 3]\r\n").await.ok();
        let reply = reply_to(
            &req,
            json!({"return": {"running": true, "status": "running"}}),
        );
        w.write_all(format!("{reply}\r\n").as_bytes()).await.ok();
        read_request(&mut r).await;
    })
    .await;
    let status = client
        .execute(&cmd::QueryStatus)
        .await
        .expect("the reply still arrives");
    assert!(status.running);
}

#[tokio::test]
async fn truncated_line_ends_the_connection_cleanly() {
    let (client, _server) = fake("truncated", Config::default(), |mut r, mut w| async move {
        read_request(&mut r).await;
        w.write_all(b"{\"return\": {\"running\": tr").await.ok();
        drop(w);
    })
    .await;
    let r = tokio::time::timeout(Duration::from_secs(1), client.execute(&cmd::QueryStatus))
        .await
        .expect("no hang");
    assert!(matches!(r, Err(Error::Disconnected)), "{r:?}");
}

#[tokio::test]
async fn over_limit_line_is_an_error_not_memory() {
    let config = Config {
        max_line: 4096,
        ..Config::default()
    };
    let (client, _server) = fake("overlimit", config, |mut r, mut w| async move {
        let req = read_request(&mut r).await.expect("a request");
        let huge = "x".repeat(1 << 20);
        let reply = reply_to(&req, json!({"return": {"name": huge}}));
        w.write_all(format!("{reply}\r\n").as_bytes()).await.ok();
        // The connection goes on.
        let req = read_request(&mut r).await.expect("a second request");
        let reply = reply_to(&req, json!({"return": {"name": "small"}}));
        w.write_all(format!("{reply}\r\n").as_bytes()).await.ok();
        read_request(&mut r).await;
    })
    .await;
    let r = tokio::time::timeout(Duration::from_secs(2), client.execute(&cmd::QueryName))
        .await
        .expect("no hang");
    assert!(
        matches!(r, Err(Error::LineTooLong { limit: 4096 })),
        "{r:?}"
    );
    let name = tokio::time::timeout(Duration::from_secs(2), client.execute(&cmd::QueryName))
        .await
        .expect("no hang")
        .expect("the next call is answered");
    assert_eq!(name.name.as_deref(), Some("small"));
}

#[tokio::test]
async fn a_flooded_subscriber_lags_and_never_stalls_replies() {
    let config = Config {
        event_buffer: 16,
        ..Config::default()
    };
    let (client, _server) = fake("flood", config, |mut r, mut w| async move {
        let req = read_request(&mut r).await.expect("a request");
        for i in 0..5000 {
            let ev = json!({"event": "STOP", "timestamp": {"seconds": i, "microseconds": 0}});
            w.write_all(format!("{ev}\r\n").as_bytes()).await.ok();
        }
        let reply = reply_to(
            &req,
            json!({"return": {"running": false, "status": "paused"}}),
        );
        w.write_all(format!("{reply}\r\n").as_bytes()).await.ok();
        read_request(&mut r).await;
    })
    .await;
    let mut never_reads = client.events();
    let status = tokio::time::timeout(Duration::from_secs(5), client.execute(&cmd::QueryStatus))
        .await
        .expect("replies are not stalled by events")
        .expect("a reply");
    assert!(!status.running);
    assert!(matches!(never_reads.next().await, Err(Error::Lagged(_))));
    // After the lag, the stream goes on with the newest events.
    assert!(never_reads.next().await.is_ok());
}

/// Calls dropped at any point (waiting for the writer, mid-write, or
/// waiting for their reply), then calls that must each get their own
/// reply: the server echoes each request's tag.
async fn cancelled_calls_leave_the_connection_usable(name: &str, config: Config) {
    let (client, _server) = fake(name, config, |mut r, mut w| async move {
        // Answer every request, slowly for the first 1000.
        let mut n = 0;
        while let Some(req) = read_request(&mut r).await {
            n += 1;
            if n <= 1000 {
                tokio::time::sleep(Duration::from_micros(50)).await;
            }
            let reply = reply_to(&req, json!({"return": {"tag": req["arguments"]["tag"]}}));
            if w.write_all(format!("{reply}\r\n").as_bytes())
                .await
                .is_err()
            {
                break;
            }
        }
    })
    .await;
    for i in 0..1000 {
        let c = client.clone();
        // Each call is dropped almost at once, mid-flight.
        let _ = tokio::time::timeout(Duration::from_micros(10), async move {
            c.execute_raw("x-tag", Some(json!({ "tag": format!("cancelled {i}") })))
                .await
        })
        .await;
    }
    let mut calls = Vec::new();
    for i in 0..50 {
        let c = client.clone();
        calls.push(tokio::spawn(async move {
            (i, c.execute_raw("x-tag", Some(json!({ "tag": i }))).await)
        }));
    }
    for call in calls {
        let (i, v) = tokio::time::timeout(Duration::from_secs(5), call)
            .await
            .expect("no hang")
            .expect("no panic");
        let v = v.expect("a reply");
        assert_eq!(v["tag"], i, "misrouted: call {i} got {v}");
    }
}

#[tokio::test]
async fn cancelled_calls_leave_the_connection_usable_replies_by_id() {
    cancelled_calls_leave_the_connection_usable("cancel", Config::default()).await;
}

#[tokio::test]
async fn cancelled_calls_leave_the_connection_usable_replies_by_order() {
    let config = Config {
        match_by_order: true,
        ..Config::default()
    };
    cancelled_calls_leave_the_connection_usable("cancel-order", config).await;
}

#[tokio::test]
async fn server_errors_keep_class_and_text() {
    let (client, _server) = fake("errors", Config::default(), |mut r, mut w| async move {
        let req = read_request(&mut r).await.expect("a request");
        let reply = reply_to(
            &req,
            json!({"error": {"class": "DeviceNotFound", "desc": "Device 'x' not found"}}),
        );
        w.write_all(format!("{reply}\r\n").as_bytes()).await.ok();
        let req = read_request(&mut r).await.expect("a request");
        let reply = reply_to(
            &req,
            json!({"return": {"running": "yes", "status": "running"}}),
        );
        w.write_all(format!("{reply}\r\n").as_bytes()).await.ok();
        read_request(&mut r).await;
    })
    .await;
    match client.execute(&cmd::QueryStatus).await {
        Err(Error::Qmp {
            class, desc, raw, ..
        }) => {
            assert_eq!(class, qmp_types::QapiErrorClass::DeviceNotFound);
            assert_eq!(desc, "Device 'x' not found");
            assert!(raw.contains("DeviceNotFound"));
        }
        other => panic!("{other:?}"),
    }
    match client.execute(&cmd::QueryStatus).await {
        Err(Error::Decode { path, raw, .. }) => {
            assert_eq!(path, "running");
            assert!(raw.contains("\"yes\""));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn connect_times_out_without_a_greeting() {
    let path = socket_path("silent");
    let listener = UnixListener::bind(&path).expect("bind");
    let _server = tokio::spawn(async move {
        let (_stream, _) = listener.accept().await.expect("accept");
        tokio::time::sleep(Duration::from_secs(10)).await;
    });
    let config = Config {
        connect_timeout: Duration::from_millis(200),
        ..Config::default()
    };
    let r = Client::connect_unix_with(&path, config).await;
    match r {
        Err(e @ Error::NoGreeting { .. }) => {
            let text = e.to_string();
            assert!(text.contains(&path.display().to_string()), "{text}");
            assert!(text.contains("guest agent"), "{text}");
        }
        other => panic!("{:?}", other.err()),
    }
    let _ = UnixStream::connect(&path).await;
}

#[tokio::test]
async fn guest_agent_discards_stale_bytes_when_it_synchronises() {
    let path = socket_path("ga-stale");
    let listener = UnixListener::bind(&path).expect("bind");
    let _server = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.expect("accept");
        let (r, mut w) = stream.into_split();
        let mut r = BufReader::new(r);
        // Stale output from an earlier client, before anything is asked.
        w.write_all(b"{\"return\": {\"stale\": 1}}\n{\"return\": 12")
            .await
            .ok();
        let req = read_request(&mut r).await.expect("sync");
        assert_eq!(req["execute"], "guest-sync-delimited");
        let id = req["arguments"]["id"].clone();
        // A stale sentinel and reply first, then the right one.
        w.write_all(b"\xff{\"return\": 1}\n").await.ok();
        let mut right = b"\0junk\xff".to_vec();
        right.extend_from_slice(format!("{{\"return\": {id}}}\n").as_bytes());
        w.write_all(&right).await.ok();
        let req = read_request(&mut r).await.expect("guest-ping");
        assert_eq!(req["execute"], "guest-ping");
        w.write_all(b"{\"return\": {}}\n").await.ok();
        read_request(&mut r).await;
    });
    let mut agent = qmp_client::GuestAgent::connect_unix(&path)
        .await
        .expect("connect and sync");
    agent
        .execute(&qmp_types::qga::cmd::GuestPing)
        .await
        .expect("the reply after the sync is ours");
}

/// The first call gives up before its reply comes; the reply is dropped
/// when it does, and the next calls get their own. With `in_order`, the
/// server keeps issue order, as QMP says, and the client matches replies
/// by order; without, it answers the second call first, which the client
/// survives by matching replies by id (its default).
async fn a_call_that_times_out_leaves_the_connection_usable(name: &str, in_order: bool) {
    let config = Config {
        match_by_order: in_order,
        ..Config::default()
    };
    let (client, _server) = fake(name, config, move |mut r, mut w| async move {
        let first = read_request(&mut r).await.expect("first");
        let second = read_request(&mut r).await.expect("second");
        let late = reply_to(&first, json!({"return": {"name": "first"}}));
        let reply = reply_to(&second, json!({"return": {"name": "second"}}));
        if in_order {
            tokio::time::sleep(Duration::from_millis(300)).await;
            w.write_all(format!("{late}\r\n{reply}\r\n").as_bytes())
                .await
                .ok();
        } else {
            w.write_all(format!("{reply}\r\n").as_bytes()).await.ok();
            tokio::time::sleep(Duration::from_millis(300)).await;
            w.write_all(format!("{late}\r\n").as_bytes()).await.ok();
        }
        let third = read_request(&mut r).await.expect("third");
        let reply = reply_to(&third, json!({"return": {"name": "third"}}));
        w.write_all(format!("{reply}\r\n").as_bytes()).await.ok();
        read_request(&mut r).await;
    })
    .await;
    let c = client.clone();
    let first = tokio::spawn(async move {
        c.execute_timeout(&cmd::QueryName, Duration::from_millis(100))
            .await
    });
    tokio::time::sleep(Duration::from_millis(20)).await;
    let second = client.execute(&cmd::QueryName).await.expect("second");
    assert_eq!(second.name.as_deref(), Some("second"));
    assert!(matches!(first.await.expect("task"), Err(Error::Timeout)));
    // The late reply to the first call is dropped; the third gets its own.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let third = client.execute(&cmd::QueryName).await.expect("third");
    assert_eq!(third.name.as_deref(), Some("third"));
}

#[tokio::test]
async fn a_call_that_times_out_leaves_the_connection_usable_replies_by_order() {
    a_call_that_times_out_leaves_the_connection_usable("timeout", true).await;
}

#[tokio::test]
async fn a_call_that_times_out_leaves_the_connection_usable_replies_by_id() {
    a_call_that_times_out_leaves_the_connection_usable("timeout-ids", false).await;
}

#[tokio::test]
async fn commands_without_a_success_response_do_not_wait() {
    let path = socket_path("ga-shutdown");
    let listener = UnixListener::bind(&path).expect("bind");
    let _server = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.expect("accept");
        let (r, mut w) = stream.into_split();
        let mut r = BufReader::new(r);
        let req = read_request(&mut r).await.expect("sync");
        let mut reply = b"\xff".to_vec();
        reply.extend_from_slice(format!("{{\"return\": {}}}\n", req["arguments"]["id"]).as_bytes());
        w.write_all(&reply).await.ok();
        let req = read_request(&mut r).await.expect("guest-shutdown");
        assert_eq!(req["execute"], "guest-shutdown");
        // No reply, ever.
        tokio::time::sleep(Duration::from_secs(5)).await;
    });
    let mut agent = qmp_client::GuestAgent::connect_unix(&path)
        .await
        .expect("connect");
    let shutdown = qmp_types::qga::cmd::GuestShutdown::default();
    tokio::time::timeout(Duration::from_secs(1), agent.execute(&shutdown))
        .await
        .expect("returns at once")
        .expect("sent");
}

/// A server that stops reading: a request larger than the socket's
/// buffer cannot be written whole, and the call waits (for room, without
/// a readiness event: see src/unix.rs) without blocking anything else;
/// when the server reads again, the rest goes out and the reply comes
/// back.
#[tokio::test]
async fn a_server_that_stops_reading_does_not_hang_a_call() {
    let (resume_tx, resume_rx) = tokio::sync::oneshot::channel::<()>();
    let (client, server) = fake(
        "stops-reading",
        Config::default(),
        |mut r, mut w| async move {
            // Not reading until told to.
            let _ = resume_rx.await;
            let v = read_request(&mut r).await.expect("the big request");
            assert_eq!(v["arguments"]["blob"].as_str().map(str::len), Some(4 << 20));
            let reply = reply_to(&v, json!({"return": {"size": 4 << 20}}));
            w.write_all(format!("{reply}\r\n").as_bytes())
                .await
                .expect("reply");
        },
    )
    .await;
    let blob = "x".repeat(4 << 20);
    let call = {
        let client = client.clone();
        let blob = blob.clone();
        tokio::spawn(async move {
            client
                .execute_raw("x-big", Some(json!({ "blob": blob })))
                .await
        })
    };
    // The request cannot all be written while the server does not read.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!call.is_finished(), "the call cannot have completed");
    resume_tx.send(()).expect("resume");
    let reply = tokio::time::timeout(Duration::from_secs(10), call)
        .await
        .expect("the call completes once the server reads")
        .expect("task")
        .expect("reply");
    assert_eq!(reply["size"], 4 << 20);
    server.await.expect("server");
}

/// A call dropped in the middle of writing its request (larger than the
/// socket's buffer, to a server that is not reading): the rest of the
/// line still goes out, before the next request, so the server never
/// sees a line cut short and the next call gets its own reply.
#[tokio::test]
async fn a_call_dropped_mid_write_leaves_whole_lines() {
    let (resume_tx, resume_rx) = tokio::sync::oneshot::channel::<()>();
    let (client, server) = fake(
        "dropped-mid-write",
        Config::default(),
        |mut r, mut w| async move {
            let _ = resume_rx.await;
            for _ in 0..2 {
                let v = read_request(&mut r).await.expect("a whole request");
                let reply = reply_to(&v, json!({"return": {"tag": v["arguments"]["tag"]}}));
                w.write_all(format!("{reply}\r\n").as_bytes())
                    .await
                    .expect("reply");
            }
        },
    )
    .await;
    let blob = "x".repeat(4 << 20);
    let dropped = tokio::time::timeout(
        Duration::from_millis(200),
        client.execute_raw("x-big", Some(json!({ "blob": blob, "tag": "big" }))),
    )
    .await;
    assert!(dropped.is_err(), "the big request cannot be written yet");
    let next = {
        let client = client.clone();
        tokio::spawn(async move {
            client
                .execute_raw("x-small", Some(json!({ "tag": "small" })))
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    resume_tx.send(()).expect("resume");
    let reply = tokio::time::timeout(Duration::from_secs(10), next)
        .await
        .expect("no hang")
        .expect("task")
        .expect("reply");
    assert_eq!(reply["tag"], "small");
    server.await.expect("server read two whole requests");
}

/// A socket that is not there: the error names it (an I/O error alone
/// said only "No such file or directory").
#[tokio::test]
async fn a_missing_socket_is_named_in_the_error() {
    let path = socket_path("missing");
    let r = Client::connect_unix(&path).await;
    match r {
        Err(e @ Error::Connect { .. }) => {
            let text = e.to_string();
            assert!(text.contains(&path.display().to_string()), "{text}");
            assert!(text.contains("No such file"), "{text}");
        }
        other => panic!("{:?}", other.err()),
    }
    let r = qmp_client::blocking::Client::connect_unix(&path);
    assert!(
        matches!(&r, Err(Error::Connect { address, .. }) if *address == path.display().to_string()),
        "{:?}",
        r.err()
    );
    let r = qmp_client::GuestAgent::connect_unix(&path).await;
    assert!(
        matches!(&r, Err(Error::Connect { address, .. }) if *address == path.display().to_string()),
        "{:?}",
        r.err()
    );
}
