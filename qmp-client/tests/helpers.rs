//! The completion helpers, timeouts by class, connect retry and the cancel
//! safety of event streams, against a fake server: the paths a real QEMU
//! takes only when something goes wrong (a job that fails, an event that
//! never comes, a command that hangs). The live paths are in
//! `tests/live.rs` and `tests/examples.rs`.

mod fake;

use fake::{Reader, Writer, fake, read_request, reply_to, socket_path};
use qmp_client::{Client, CommandClass, Config, Error};
use qmp_types::{JobStatus, cmd, event};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::AsyncWriteExt;

/// An event line.
fn event(name: &str, data: Value) -> String {
    json!({"event": name, "data": data, "timestamp": {"seconds": 1, "microseconds": 0}}).to_string()
}

fn job_event(id: &str, status: &str) -> String {
    event("JOB_STATUS_CHANGE", json!({"id": id, "status": status}))
}

/// The reply `{"return": value}` to `req`.
fn ok(req: &Value, value: Value) -> String {
    reply_to(req, json!({ "return": value })).to_string()
}

/// The commands the fake server received, in order.
type Seen = Arc<Mutex<Vec<String>>>;

/// Serves every request with the lines `answer` gives (replies and
/// events, in order), recording the command names in `seen`.
async fn serve(
    mut r: Reader,
    mut w: Writer,
    seen: Seen,
    answer: impl Fn(&str, &Value) -> Vec<String>,
) {
    while let Some(req) = read_request(&mut r).await {
        let name = req["execute"].as_str().unwrap_or_default().to_string();
        seen.lock().expect("seen").push(name.clone());
        for line in answer(&name, &req) {
            if w.write_all(format!("{line}\r\n").as_bytes()).await.is_err() {
                return;
            }
        }
    }
}

/// A client of a fake server that answers with `answer`.
async fn serving(
    name: &str,
    config: Config,
    answer: impl Fn(&str, &Value) -> Vec<String> + Send + Sync + 'static,
) -> (Client, Seen) {
    let seen = Seen::default();
    let s = seen.clone();
    let (client, _server) = fake(name, config, move |r, w| serve(r, w, s, answer)).await;
    (client, seen)
}

fn create(id: &str) -> cmd::BlockdevCreate {
    let file = qmp_types::BlockdevCreateOptionsFile::new("/x.img", 1);
    cmd::BlockdevCreate::new(id, file.into())
}

#[tokio::test]
async fn a_failed_job_is_a_typed_error_with_its_text_and_is_dismissed() {
    let (client, seen) = serving("job-fails", Config::default(), |name, req| match name {
        "blockdev-create" => vec![
            ok(req, json!({})),
            job_event("j", "created"),
            job_event("j", "running"),
            job_event("j", "aborting"),
            job_event("j", "concluded"),
        ],
        "query-jobs" => vec![ok(
            req,
            json!([{"id": "j", "type": "create", "status": "concluded",
                    "current-progress": 0, "total-progress": 1,
                    "error": "Could not create '/x.img': Permission denied"}]),
        )],
        "job-dismiss" => vec![ok(req, json!({})), job_event("j", "null")],
        _ => vec![],
    })
    .await;
    match client
        .run_job(&create("j"), "j", Duration::from_secs(5))
        .await
    {
        Err(e @ Error::Job { .. }) => {
            assert_eq!(
                e.to_string(),
                "job j failed: Could not create '/x.img': Permission denied"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        *seen.lock().expect("seen"),
        ["blockdev-create", "query-jobs", "job-dismiss"]
    );
}

/// A block job dismissed as it concludes is gone when asked about: its
/// error is the one `BLOCK_JOB_COMPLETED` carried, and nothing is
/// dismissed.
#[tokio::test]
async fn an_automatically_dismissed_block_jobs_error_comes_from_its_event() {
    let (client, seen) = serving("job-auto", Config::default(), |name, req| match name {
        "blockdev-mirror" => vec![
            ok(req, json!({})),
            job_event("m", "created"),
            job_event("m", "running"),
            event(
                "BLOCK_JOB_COMPLETED",
                json!({"type": "mirror", "device": "m", "len": 10, "offset": 5, "speed": 0,
                       "error": "Input/output error"}),
            ),
            job_event("m", "concluded"),
            job_event("m", "null"),
        ],
        "query-jobs" => vec![ok(req, json!([]))],
        _ => vec![],
    })
    .await;
    let mirror = cmd::BlockdevMirror {
        job_id: Some("m".into()),
        ..cmd::BlockdevMirror::new("src", "dst", qmp_types::MirrorSyncMode::Full)
    };
    match client.run_job(&mirror, "m", Duration::from_secs(5)).await {
        Err(Error::Job { id, desc }) => {
            assert_eq!((id.as_str(), desc.as_str()), ("m", "Input/output error"))
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        *seen.lock().expect("seen"),
        ["blockdev-mirror", "query-jobs"]
    );
}

/// A job started with `auto-finalize: false` waits in `pending`: the
/// job is finalized, then dismissed; a mirror is completed once ready.
#[tokio::test]
async fn a_job_that_waits_is_finalized_and_a_ready_mirror_completed() {
    let (client, seen) = serving("job-manual", Config::default(), |name, req| match name {
        "blockdev-mirror" => vec![
            ok(req, json!({})),
            job_event("m", "created"),
            job_event("m", "running"),
            job_event("m", "ready"),
        ],
        "job-complete" => vec![
            ok(req, json!({})),
            job_event("m", "waiting"),
            job_event("m", "pending"),
        ],
        "query-block-jobs" => vec![ok(
            req,
            json!([{"device": "m", "type": "mirror", "len": 1, "offset": 1, "busy": false,
                    "paused": false, "speed": 0, "io-status": "ok", "ready": true,
                    "status": "pending", "auto-finalize": false, "auto-dismiss": false,
                    "actively-synced": true}]),
        )],
        "job-finalize" => vec![ok(req, json!({})), job_event("m", "concluded")],
        "query-jobs" => vec![ok(
            req,
            json!([{"id": "m", "type": "mirror", "status": "concluded",
                    "current-progress": 1, "total-progress": 1}]),
        )],
        "job-dismiss" => vec![ok(req, json!({})), job_event("m", "null")],
        _ => vec![],
    })
    .await;
    let mirror = cmd::BlockdevMirror {
        job_id: Some("m".into()),
        auto_finalize: Some(false),
        auto_dismiss: Some(false),
        ..cmd::BlockdevMirror::new("src", "dst", qmp_types::MirrorSyncMode::Full)
    };
    let mut job = client.start_job(&mirror, "m").await.expect("started");
    job.wait_status(JobStatus::Ready, Duration::from_secs(5))
        .await
        .expect("ready");
    assert_eq!(job.status(), Some(JobStatus::Ready));
    job.complete().await.expect("job-complete");
    job.finish(Duration::from_secs(5))
        .await
        .expect("the job succeeds");
    assert_eq!(
        *seen.lock().expect("seen"),
        [
            "blockdev-mirror",
            "job-complete",
            "query-block-jobs",
            "job-finalize",
            "query-jobs",
            "job-dismiss"
        ]
    );
}

#[tokio::test]
async fn a_job_that_hangs_times_out_naming_its_last_status() {
    let (client, _) = serving("job-hangs", Config::default(), |name, req| match name {
        "blockdev-create" => vec![ok(req, json!({})), job_event("j", "running")],
        _ => vec![],
    })
    .await;
    match client
        .run_job(&create("j"), "j", Duration::from_millis(200))
        .await
    {
        Err(e @ Error::JobTimeout { .. }) => {
            assert!(
                matches!(&e, Error::JobTimeout { id, status: Some(JobStatus::Running), .. } if id == "j"),
                "{e:?}"
            );
            assert!(e.to_string().contains("last status: running"), "{e}");
        }
        other => panic!("{other:?}"),
    }
}

/// A job whose status goes to `concluded` before the one awaited: the
/// wait fails (with the job's error when it has one).
#[tokio::test]
async fn waiting_for_a_status_the_job_never_reaches_fails() {
    let (client, _) = serving("job-never-ready", Config::default(), |name, req| match name {
        "blockdev-mirror" => vec![
            ok(req, json!({})),
            job_event("m", "running"),
            job_event("m", "concluded"),
        ],
        "query-jobs" => vec![ok(
            req,
            json!([{"id": "m", "type": "mirror", "status": "concluded",
                    "current-progress": 0, "total-progress": 1, "error": "No space left on device"}]),
        )],
        "job-dismiss" => vec![ok(req, json!({}))],
        _ => vec![],
    })
    .await;
    let mirror = cmd::BlockdevMirror::new("src", "dst", qmp_types::MirrorSyncMode::Full);
    let mut job = client.start_job(&mirror, "m").await.expect("started");
    match job
        .wait_status(JobStatus::Ready, Duration::from_secs(5))
        .await
    {
        Err(Error::Job { desc, .. }) => assert_eq!(desc, "No space left on device"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn an_event_that_never_comes_is_a_typed_error_naming_command_and_event() {
    let (client, _) = serving("no-event", Config::default(), |name, req| match name {
        "device_del" => vec![ok(req, json!({}))],
        _ => vec![],
    })
    .await;
    let r = client
        .execute_until(
            &cmd::DeviceDel::new("disk1"),
            |_: &event::DeviceDeleted| true,
            Duration::from_millis(200),
        )
        .await;
    match r {
        Err(e @ Error::NoEvent { .. }) => {
            assert_eq!(
                e.to_string(),
                "device_del: no DEVICE_DELETED event within 200ms"
            );
        }
        other => panic!("{other:?}"),
    }
}

/// The event may come before the reply: the subscription is made before
/// the command is sent. Events for another device are skipped; a command
/// that fails is the error, and nothing is awaited.
#[tokio::test]
async fn execute_until_sees_an_event_sent_before_the_reply_and_skips_others() {
    let (client, _) = serving("until", Config::default(), |name, req| {
        match (name, req["arguments"]["id"].as_str()) {
            ("device_del", Some("disk1")) => vec![
                event(
                    "DEVICE_DELETED",
                    json!({"device": "disk0", "path": "/machine/peripheral/disk0"}),
                ),
                event(
                    "DEVICE_DELETED",
                    json!({"device": "disk1", "path": "/machine/peripheral/disk1"}),
                ),
                ok(req, json!({})),
            ],
            ("device_del", _) => vec![reply_to(
            req,
            json!({"error": {"class": "DeviceNotFound", "desc": "Device 'nope' not found"}}),
        )
        .to_string()],
            _ => vec![],
        }
    })
    .await;
    let ((), deleted) = client
        .execute_until(
            &cmd::DeviceDel::new("disk1"),
            |e: &event::DeviceDeleted| e.device.as_deref() == Some("disk1"),
            Duration::from_secs(5),
        )
        .await
        .map(|(r, e)| (drop(r), e))
        .expect("DEVICE_DELETED");
    assert_eq!(deleted.event.path, "/machine/peripheral/disk1");
    let failed = client
        .execute_until(
            &cmd::DeviceDel::new("nope"),
            |_: &event::DeviceDeleted| true,
            Duration::from_secs(5),
        )
        .await;
    assert!(matches!(failed, Err(Error::Qmp { .. })), "{failed:?}");
}

/// A hot-plug command that hangs times out by its class; a command of no
/// class has no timeout; a command's own timeout comes before its
/// class's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeouts_by_class_and_by_command() {
    let config = Config::default()
        .with_class_timeout(CommandClass::HotPlug, Duration::from_millis(100))
        .with_command_timeout("device_del", Duration::from_millis(300));
    let (client, _) = serving("by-class", config, |name, req| match name {
        "query-status" => {
            // Answered, after longer than the hot-plug timeout.
            std::thread::sleep(Duration::from_millis(250));
            vec![ok(req, json!({"running": true, "status": "running"}))]
        }
        _ => vec![],
    })
    .await;
    let started = tokio::time::Instant::now();
    let r = client.execute(&cmd::DeviceAdd::new("scsi-hd")).await;
    assert!(matches!(r, Err(Error::Timeout)), "{r:?}");
    let add = started.elapsed();
    let started = tokio::time::Instant::now();
    let r = client.execute(&cmd::DeviceDel::new("x")).await;
    assert!(matches!(r, Err(Error::Timeout)), "{r:?}");
    let del = started.elapsed();
    // The order of the two, not a figure: the command's own timeout is
    // the longer one.
    assert!(del > add, "device_del waited {del:?}, device_add {add:?}");
    let status = client
        .execute(&cmd::QueryStatus)
        .await
        .expect("no timeout for a query");
    assert!(status.running);
}

/// A socket that appears a moment after the client starts connecting
/// (as QEMU's does after the process starts): with `connect_retry` the
/// client waits for it; without, it fails at once naming the path.
#[tokio::test]
async fn connect_retry_waits_for_a_socket_that_appears_later() {
    let path = socket_path("retry");
    let r = Client::connect_unix(&path).await;
    assert!(matches!(r, Err(Error::Connect { .. })), "{:?}", r.err());
    let later = path.clone();
    let server = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(150)).await;
        let listener = tokio::net::UnixListener::bind(&later).expect("bind");
        for _ in 0..2 {
            let (stream, _) = listener.accept().await.expect("accept");
            let (r, mut w) = stream.into_split();
            let mut r = tokio::io::BufReader::new(r);
            w.write_all(format!("{}\r\n", fake::GREETING).as_bytes())
                .await
                .expect("greet");
            let req = read_request(&mut r).await.expect("qmp_capabilities");
            w.write_all(format!("{}\r\n", ok(&req, json!({}))).as_bytes())
                .await
                .expect("reply");
            drop((r, w));
        }
    });
    let config = Config {
        connect_retry: true,
        ..Config::default()
    };
    let client = Client::connect_unix_with(&path, config.clone())
        .await
        .expect("connected once the socket is there");
    assert_eq!(client.greeting().version.qemu.major, 10);
    let blocking = tokio::task::spawn_blocking(move || {
        qmp_client::blocking::Client::<qmp_types::Events>::connect_unix_with(&path, config)
            .map(drop)
    });
    blocking
        .await
        .expect("task")
        .expect("the blocking client too");
    server.await.expect("server");
}

/// `next` dropped before it completes, again and again (a `select!`
/// branch that loses to a timer while the next event is on its way),
/// loses no event and keeps their order.
#[tokio::test]
async fn event_streams_are_cancel_safe() {
    const N: usize = 200;
    let (client, _server) = fake(
        "cancel-safe",
        Config::default(),
        |mut r, mut w| async move {
            let req = read_request(&mut r).await.expect("a request");
            let reply = ok(&req, json!({"running": true, "status": "running"}));
            w.write_all(format!("{reply}\r\n").as_bytes())
                .await
                .expect("reply");
            for i in 0..N {
                tokio::time::sleep(Duration::from_millis(2)).await;
                let line = job_event(&format!("j{i}"), "running");
                w.write_all(format!("{line}\r\n").as_bytes())
                    .await
                    .expect("event");
            }
            // Keep the connection open until the client is done.
            let _ = read_request(&mut r).await;
        },
    )
    .await;
    let mut typed = client.events_of::<event::JobStatusChange>();
    let mut all = client.events();
    client.execute(&cmd::QueryStatus).await.expect("reply");
    let (mut got, mut cancelled) = (Vec::new(), 0);
    while got.len() < N {
        tokio::select! {
            e = typed.next() => got.push(e.expect("an event").event.id),
            () = tokio::time::sleep(Duration::from_micros(500)) => cancelled += 1,
        }
    }
    let expected: Vec<String> = (0..N).map(|i| format!("j{i}")).collect();
    assert_eq!(got, expected);
    assert!(cancelled > 0, "next was never cancelled");
    // The untyped stream, read only now, has every event too, and
    // `wait_for` cancelled midway loses none.
    let mut untyped = 0;
    while untyped < N {
        tokio::select! {
            e = all.wait_for(Duration::from_secs(5), |_| true) => {
                e.expect("an event");
                untyped += 1;
            }
            () = tokio::task::yield_now() => {}
        }
    }
}
