//! The client against real QEMU servers of two releases, 10.0.2 and
//! Debian 12's 7.2 (one binding set for both): every test runs on each,
//! starting its own server in a temporary directory. Without the
//! binaries the tests say so and pass, except under CI, where they fail.

use qmp_client::{Client, Config, Error};
use qmp_types::{BlockdevCreateOptionsFile, Events, JobStatus, cmd, event};
use serde_json::json;
use std::time::Duration;
use test_support::Qemu;

/// For each test function `name(Qemu)`, a module `name` with one test per
/// release (`name::qemu_10_0`, `name::qemu_7_2`), so that they run side
/// by side and a failure names the release.
macro_rules! on_each_release {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn qemu_10_0() {
                super::$name(test_support::Qemu::V10_0).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn qemu_7_2() {
                super::$name(test_support::Qemu::V7_2).await
            }
        }
    )*};
}

on_each_release!(
    negotiation_typed_commands_and_oob,
    thirty_two_tasks_two_hundred_calls_each_get_their_own_answers,
    thirty_two_tasks_two_hundred_calls_replies_matched_by_order,
    typed_job_events_subscribed_before_the_command,
    run_job_succeeds_and_dismisses_and_reports_a_job_error,
    stop_and_resume_events_and_out_of_band,
    a_killed_server_fails_every_pending_call_within_a_second,
    guest_agent_sync_and_info,
    file_descriptors_travel_with_add_fd_and_getfd,
    over_tcp,
    a_two_hundred_image_backing_chain_decodes,
    jobs_and_a_mirror,
    a_migration_completes_with_its_event,
    cpu_model_expansion_decodes_on_x86,
);

async fn negotiation_typed_commands_and_oob(q: Qemu) {
    let Some(s) = q.storage_daemon() else { return };
    let client = Client::connect_unix(&s.sock).await.expect("connect");
    let greeting = &client.greeting().version.qemu;
    assert_eq!((greeting.major, greeting.minor), q.version());
    assert!(client.oob_enabled(), "qemu-storage-daemon offers oob");
    let v = client
        .execute(&cmd::QueryVersion)
        .await
        .expect("query-version");
    assert_eq!((v.qemu.major, v.qemu.minor), q.version());
    // A command that does not allow out-of-band execution is refused
    // before it is sent.
    assert!(matches!(
        client.execute_oob(&cmd::QueryJobs).await,
        Err(Error::NotAllowed(_))
    ));
    // A server error keeps its class.
    match client.execute(&cmd::QomGet::new("/nowhere", "x")).await {
        Err(Error::Qmp { class, .. }) => {
            assert_eq!(class, qmp_types::QapiErrorClass::DeviceNotFound)
        }
        other => panic!("{other:?}"),
    }
    // Untyped use.
    let r = client
        .execute_raw("query-jobs", None)
        .await
        .expect("query-jobs");
    assert_eq!(r, json!([]));
}

async fn thirty_two_tasks_two_hundred_calls_each_get_their_own_answers(q: Qemu) {
    thirty_two_tasks(q, Config::default()).await;
}

/// The same with replies matched by order instead of by id: QEMU keeps
/// issue order.
async fn thirty_two_tasks_two_hundred_calls_replies_matched_by_order(q: Qemu) {
    thirty_two_tasks(
        q,
        Config {
            match_by_order: true,
            ..Config::default()
        },
    )
    .await;
}

async fn thirty_two_tasks(q: Qemu, config: Config) {
    let Some(s) = q.storage_daemon() else { return };
    let client = Client::connect_unix_with(&s.sock, config)
        .await
        .expect("connect");
    let mut tasks = Vec::new();
    for i in 0..32u64 {
        let c = client.clone();
        tasks.push(tokio::spawn(async move {
            let id = format!("io{i}");
            c.execute_raw(
                "object-add",
                Some(json!({"qom-type": "iothread", "id": id, "poll-max-ns": i * 1000})),
            )
            .await
            .expect("object-add");
            for _ in 0..200 {
                let v = c
                    .execute(&cmd::QomGet::new(format!("/objects/{id}"), "poll-max-ns"))
                    .await
                    .expect("qom-get");
                assert_eq!(v, json!(i * 1000), "task {i} got another task's answer");
            }
        }));
    }
    for t in tasks {
        t.await.expect("task");
    }
}

async fn typed_job_events_subscribed_before_the_command(q: Qemu) {
    let Some(s) = q.storage_daemon() else { return };
    let client = Client::connect_unix(&s.sock).await.expect("connect");
    let mut jobs = client.events_of::<event::JobStatusChange>();
    let image = s.dir.join("disk.img");
    let options = BlockdevCreateOptionsFile::new(image.display().to_string(), 1 << 20);
    client
        .execute(&cmd::BlockdevCreate::new("j0", options.into()))
        .await
        .expect("blockdev-create");
    let concluded = jobs
        .wait_for(Duration::from_secs(10), |e| {
            e.status == JobStatus::Concluded
        })
        .await
        .expect("the job concludes");
    assert_eq!(concluded.event.id, "j0");
    assert!(concluded.timestamp.seconds > 0);
    client
        .execute(&cmd::JobDismiss::new("j0"))
        .await
        .expect("job-dismiss");
    let null = jobs.next().await.expect("the job is dismissed");
    assert_eq!(null.event.status, JobStatus::Null);
}

async fn run_job_succeeds_and_dismisses_and_reports_a_job_error(q: Qemu) {
    let Some(s) = q.storage_daemon() else { return };
    let client = Client::connect_unix(&s.sock).await.expect("connect");
    let image = s.dir.join("disk.img");
    let create = |id: &str, path: String| {
        cmd::BlockdevCreate::new(id, BlockdevCreateOptionsFile::new(path, 1 << 20).into())
    };
    client
        .run_job(
            &create("ok", image.display().to_string()),
            "ok",
            Duration::from_secs(10),
        )
        .await
        .expect("the job succeeds");
    assert_eq!(std::fs::metadata(&image).expect("the image").len(), 1 << 20);
    let missing = s.dir.join("no-such-dir/disk.img").display().to_string();
    match client
        .run_job(&create("bad", missing), "bad", Duration::from_secs(10))
        .await
    {
        Err(Error::Job { id, desc }) => {
            assert_eq!(id, "bad");
            assert!(desc.contains("No such file or directory"), "{desc}");
        }
        other => panic!("{other:?}"),
    }
    // Both jobs were dismissed.
    let left = client.execute(&cmd::QueryJobs).await.expect("query-jobs");
    assert!(left.is_empty(), "{left:?}");
}

async fn stop_and_resume_events_and_out_of_band(q: Qemu) {
    let Some(s) = q.system("none") else { return };
    let client = Client::connect_unix(&s.sock).await.expect("connect");
    assert!(client.oob_enabled());
    let yank = client
        .execute_oob(&cmd::QueryYank)
        .await
        .expect("query-yank out-of-band");
    assert!(
        yank.iter()
            .all(|i| !matches!(i.r#type, qmp_types::YankInstanceBranch::Other(_)))
    );
    let mut events = client.events();
    client.execute(&cmd::Stop).await.expect("stop");
    let stop = events
        .wait_for(Duration::from_secs(5), |m| {
            matches!(m.event, Events::Stop(_))
        })
        .await
        .expect("STOP");
    client.execute(&cmd::Cont).await.expect("cont");
    let resume = events
        .wait_for(Duration::from_secs(5), |m| {
            matches!(m.event, Events::Resume(_))
        })
        .await
        .expect("RESUME");
    assert!(resume.timestamp >= stop.timestamp);
}

async fn a_killed_server_fails_every_pending_call_within_a_second(q: Qemu) {
    let Some(mut s) = q.storage_daemon() else {
        return;
    };
    let client = Client::connect_unix(&s.sock).await.expect("connect");
    let mut calls = Vec::new();
    for _ in 0..32 {
        let c = client.clone();
        calls.push(tokio::spawn(async move {
            loop {
                if let Err(e) = c.execute(&cmd::QueryNamedBlockNodes::default()).await {
                    return e;
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    s.child.kill().expect("kill");
    let started = std::time::Instant::now();
    for call in calls {
        let e = tokio::time::timeout(Duration::from_secs(1), call)
            .await
            .expect("no hang")
            .expect("no panic");
        assert!(matches!(e, Error::Disconnected | Error::Io(_)), "{e:?}");
    }
    assert!(started.elapsed() < Duration::from_secs(1));
}

async fn guest_agent_sync_and_info(q: Qemu) {
    let Some(s) = q.guest_agent() else { return };
    let mut agent = qmp_client::GuestAgent::connect_unix(&s.sock)
        .await
        .expect("connect and sync");
    let info = agent
        .execute(&qmp_types::qga::cmd::GuestInfo)
        .await
        .expect("guest-info");
    let (major, minor) = q.version();
    assert!(
        info.version.starts_with(&format!("{major}.{minor}")),
        "{}",
        info.version
    );
    assert!(
        info.supported_commands
            .iter()
            .any(|c| c.name == "guest-sync-delimited")
    );
    // Resynchronising again works, and commands still get their replies.
    agent.sync().await.expect("sync");
    let ping = agent.execute(&qmp_types::qga::cmd::GuestPing).await;
    assert!(ping.is_ok(), "{ping:?}");
}

async fn file_descriptors_travel_with_add_fd_and_getfd(q: Qemu) {
    use std::os::fd::AsFd;
    let Some(s) = q.system("none") else { return };
    let client = Client::connect_unix(&s.sock).await.expect("connect");
    let file = std::fs::File::create(s.dir.join("passed.img")).expect("a file");
    let args = cmd::AddFd {
        opaque: Some("passed-file".into()),
        ..Default::default()
    };
    let info = client
        .execute_with_fds(&args, &[file.as_fd()])
        .await
        .expect("add-fd");
    let sets = client
        .execute(&cmd::QueryFdsets)
        .await
        .expect("query-fdsets");
    let set = sets
        .iter()
        .find(|s| s.fdset_id == info.fdset_id)
        .expect("the new fd set");
    assert!(
        set.fds
            .iter()
            .any(|f| f.fd == info.fd && f.opaque.as_deref() == Some("passed-file"))
    );
    // getfd names a descriptor; closefd finds it only if QEMU received it.
    client
        .execute_with_fds(&cmd::Getfd::new("myfd"), &[file.as_fd()])
        .await
        .expect("getfd");
    client
        .execute(&cmd::Closefd::new("myfd"))
        .await
        .expect("closefd of the passed descriptor");
    // Without a descriptor, getfd fails on QEMU's side.
    assert!(matches!(
        client.execute(&cmd::Getfd::new("nofd")).await,
        Err(Error::Qmp { .. })
    ));
}

async fn over_tcp(q: Qemu) {
    // A port of our own, on loopback only (one per release: the two run
    // side by side).
    let offset = if q == Qemu::V10_0 { 0 } else { 20000 };
    let port = 20000 + offset + (std::process::id() % 20000) as u16;
    let Some(_s) =
        q.system_with(|_| test_support::system("none", &format!("tcp:127.0.0.1:{port}")))
    else {
        return;
    };
    let mut client = None;
    for _ in 0..200 {
        if let Ok(c) = Client::connect_tcp(("127.0.0.1", port)).await {
            client = Some(c);
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let client = client.expect("connect over TCP");
    let v = client
        .execute(&cmd::QueryVersion)
        .await
        .expect("query-version");
    assert_eq!((v.qemu.major, v.qemu.minor), q.version());
}

/// A chain of `images` qcow2 images in `dir`, each the backing file of
/// the next (made by qemu-img); returns the top image.
fn backing_chain(dir: &std::path::Path, images: usize) -> std::path::PathBuf {
    let image = |i: usize| dir.join(format!("img{i}.qcow2"));
    for i in 0..images {
        let mut args = vec![
            "create".to_string(),
            "-q".into(),
            "-f".into(),
            "qcow2".into(),
        ];
        if i > 0 {
            // -u: the backing file is not opened (each create would
            // open the whole chain below it otherwise: 28 s for 200).
            args.extend(["-u".into(), "-F".into(), "qcow2".into(), "-b".into()]);
            args.push(image(i - 1).display().to_string());
        }
        args.push(image(i).display().to_string());
        args.push("1M".into());
        let status = std::process::Command::new("qemu-img")
            .args(&args)
            .status()
            .expect("qemu-img (installed with qemu-utils)");
        assert!(status.success(), "qemu-img {args:?}");
    }
    image(images - 1)
}

/// How many images deep the backing chain of a node's image goes.
fn chain_length(image: &qmp_types::ImageInfo) -> usize {
    let mut n = 1;
    let mut image = image;
    while let Some(next) = &image.backing_image {
        n += 1;
        image = next;
    }
    n
}

/// Defect 3 of the hardening issue, on a real server: over a 200-image
/// backing chain, `query-named-block-nodes` is a reply of about 10 MB
/// nested about 205 levels deep, which serde_json refused (its limit is
/// 128) in every client. It decodes in the async and the blocking client.
async fn a_two_hundred_image_backing_chain_decodes(q: Qemu) {
    const IMAGES: usize = 200;
    let Some(s) = q.storage_daemon() else { return };
    let top = backing_chain(&s.dir, IMAGES);
    let client = Client::connect_unix(&s.sock).await.expect("connect");
    client
        .execute_raw(
            "blockdev-add",
            Some(json!({
                "driver": "qcow2", "node-name": "top",
                "file": {"driver": "file", "filename": top},
            })),
        )
        .await
        .expect("blockdev-add");
    let nodes = client
        .execute(&cmd::QueryNamedBlockNodes::default())
        .await
        .expect("the deep reply decodes");
    let top_node = nodes
        .iter()
        .find(|n| n.node_name.as_deref() == Some("top"))
        .expect("the top node");
    assert_eq!(chain_length(&top_node.image), IMAGES);
    // The blocking client, on the same server (whose monitor takes one
    // client at a time).
    drop(client);
    let sock = s.sock.clone();
    let nodes = tokio::task::spawn_blocking(move || {
        let mut client = qmp_client::blocking::Client::<Events>::connect_unix(&sock)?;
        client.execute(&cmd::QueryNamedBlockNodes::default())
    })
    .await
    .expect("no panic")
    .expect("the deep reply decodes in the blocking client");
    let top_node = nodes
        .iter()
        .find(|n| n.node_name.as_deref() == Some("top"))
        .expect("the top node");
    assert_eq!(chain_length(&top_node.image), IMAGES);
}

/// The job helpers: create two images, mirror one onto the other until
/// ready, and the mirror's `query-block-jobs` entry decodes, on 7.2 too,
/// which predates its branch (`actively-synced`, a member of the
/// `mirror` branch QEMU 8.2 gave `BlockJobInfo`).
async fn jobs_and_a_mirror(q: Qemu) {
    let Some(s) = q.system("none") else {
        return;
    };
    let client = Client::connect_unix(&s.sock).await.expect("connect");
    let minute = Duration::from_secs(60);
    for name in ["src", "dst"] {
        let path = s.dir.join(format!("{name}.img")).display().to_string();
        let create = cmd::BlockdevCreate::new(
            name,
            BlockdevCreateOptionsFile::new(path.as_str(), 4 << 20).into(),
        );
        client
            .run_job(&create, name, minute)
            .await
            .expect("created");
        let node = qmp_types::BlockdevOptions {
            node_name: Some(name.into()),
            ..qmp_types::BlockdevOptions::new(qmp_types::BlockdevOptionsBranch::File(
                qmp_types::BlockdevOptionsFile::new(path),
            ))
        };
        client
            .execute(&cmd::BlockdevAdd(node))
            .await
            .expect("blockdev-add");
    }
    let mirror = cmd::BlockdevMirror {
        job_id: Some("m".into()),
        ..cmd::BlockdevMirror::new("src", "dst", qmp_types::MirrorSyncMode::Full)
    };
    let mut job = client.start_job(&mirror, "m").await.expect("mirror");
    job.wait_status(JobStatus::Ready, minute)
        .await
        .expect("ready");
    let jobs = client
        .execute(&cmd::QueryBlockJobs)
        .await
        .expect("a 7.2 mirror job decodes");
    assert_eq!(jobs.len(), 1);
    assert!(jobs[0].ready);
    match &jobs[0].r#type {
        qmp_types::BlockJobInfoBranch::Mirror(m) => {
            assert_eq!(m.actively_synced.is_some(), q == Qemu::V10_0, "{m:?}")
        }
        other => panic!("{other:?}"),
    }
    job.complete().await.expect("job-complete");
    job.finish(minute).await.expect("the mirror completes");
    let left = client.execute(&cmd::QueryJobs).await.expect("query-jobs");
    assert!(left.is_empty(), "{left:?}");
}

/// A migration (to a file, through `exec:`) completes by its `MIGRATION`
/// event: `execute_until` sends `migrate` and waits for `completed` or
/// `failed`.
async fn a_migration_completes_with_its_event(q: Qemu) {
    let Some(s) = q.system("pc") else { return };
    let client = Client::connect_unix(&s.sock).await.expect("connect");
    // QEMU sends MIGRATION events only with the `events` capability.
    client
        .execute(&cmd::MigrateSetCapabilities::new(vec![
            qmp_types::MigrationCapabilityStatus::new(qmp_types::MigrationCapability::Events, true),
        ]))
        .await
        .expect("migrate-set-capabilities");
    let file = s.dir.join("state");
    let migrate = cmd::Migrate {
        uri: Some(format!("exec:cat > {}", file.display())),
        ..Default::default()
    };
    let done = |e: &event::Migration| {
        matches!(
            e.status,
            qmp_types::MigrationStatus::Completed | qmp_types::MigrationStatus::Failed
        )
    };
    let (_, end) = client
        .execute_until(&migrate, done, Duration::from_secs(60))
        .await
        .expect("the migration ends");
    assert_eq!(end.event.status, qmp_types::MigrationStatus::Completed);
    assert!(std::fs::metadata(&file).expect("the state").len() > 0);
}

/// `query-cpu-model-expansion` on x86 (its `deprecated-props` is
/// required only under `TARGET_S390X`, so an x86 server leaves it out),
/// typed.
async fn cpu_model_expansion_decodes_on_x86(q: Qemu) {
    if let Some(s) = q.system("pc") {
        let client = Client::connect_unix(&s.sock).await.expect("connect");
        let expansion = client
            .execute(&cmd::QueryCpuModelExpansion::new(
                qmp_types::CpuModelExpansionType::Full,
                qmp_types::CpuModelInfo::new("qemu64"),
            ))
            .await
            .expect("the expansion decodes");
        let props = expansion
            .model
            .props
            .expect("a full expansion lists properties");
        assert!(props.get("sse2").is_some(), "{props}");
        assert!(expansion.deprecated_props.is_none());
    }
}
