//! Mirror a disk to a new image, following the job to completion.
//!
//! `cargo run -p qmp-client --example mirror` starts a throwaway
//! `qemu-storage-daemon`, creates a source and a target image, mirrors
//! one onto the other with `blockdev-mirror`, reports the job's progress
//! until it is `ready`, completes it (the target takes the source's
//! place) and waits for it to end.

mod common;

use common::{Qemu, Result};
use qmp_client::Client;
use qmp_types::*;
use std::time::Duration;

// pub(crate): tests/examples.rs runs it against a real QEMU.
#[tokio::main(flavor = "current_thread")]
pub(crate) async fn main() -> Result {
    let qemu = Qemu::storage_daemon()?;
    run(&qemu.client().await?, &qemu).await
}

async fn run(client: &Client, qemu: &Qemu) -> Result {
    let minute = Duration::from_secs(60);
    // Two raw images, each a file node.
    for name in ["source", "target"] {
        let image = qemu.path(&format!("{name}.img"));
        let create = cmd::BlockdevCreate::new(
            name,
            BlockdevCreateOptionsFile::new(image.as_str(), 16 << 20).into(),
        );
        client.run_job(&create, name, minute).await?;
        let node = BlockdevOptions {
            node_name: Some(name.into()),
            ..BlockdevOptions::new(BlockdevOptionsBranch::File(BlockdevOptionsFile::new(image)))
        };
        client.execute(&cmd::BlockdevAdd(node)).await?;
    }

    let mirror = cmd::BlockdevMirror {
        job_id: Some("mirror0".into()),
        ..cmd::BlockdevMirror::new("source", "target", MirrorSyncMode::Full)
    };
    let mut job = client.start_job(&mirror, "mirror0").await?;
    println!("mirroring source onto target");
    job.wait_status(JobStatus::Ready, minute).await?;
    if let Some(info) = job.progress().await? {
        println!(
            "ready: {} of {} bytes copied; writes now go to both",
            info.current_progress, info.total_progress
        );
    }
    job.complete().await?;
    job.finish(minute).await?;
    println!("completed: the target replaced the source");
    let nodes = client
        .execute(&cmd::QueryNamedBlockNodes::default())
        .await?;
    let names: Vec<_> = nodes
        .iter()
        .filter_map(|n| n.node_name.as_deref())
        .collect();
    println!("block nodes: {}", names.join(", "));
    Ok(())
}
