//! Hot-plug a qcow2 disk into a VM, and unplug it.
//!
//! `cargo run -p qmp-client --example hotplug` starts a throwaway
//! `qemu-system-x86_64` (a paused `pc` machine with a SCSI controller,
//! no guest), creates a qcow2 image with two `blockdev-create` jobs, adds
//! it as a node over a file node, plugs a `scsi-hd` disk on it, and
//! unplugs it again: `device_del` is done when `DEVICE_DELETED` comes.

mod common;

use common::{Qemu, Result};
use qmp_client::Client;
use qmp_types::*;
use std::time::Duration;

// pub(crate): tests/examples.rs runs it against a real QEMU.
#[tokio::main(flavor = "current_thread")]
pub(crate) async fn main() -> Result {
    let qemu = Qemu::system(&["-M", "pc", "-S", "-device", "virtio-scsi-pci,id=scsi0"])?;
    run(&qemu.client().await?, &qemu.path("disk.qcow2")).await
}

async fn run(client: &Client, image: &str) -> Result {
    let minute = Duration::from_secs(60);
    // The image: an empty file, then qcow2 written into it.
    let file = BlockdevCreateOptionsFile::new(image, 0);
    client
        .run_job(
            &cmd::BlockdevCreate::new("mkfile", file.into()),
            "mkfile",
            minute,
        )
        .await?;
    let file_node = BlockdevOptions {
        node_name: Some("disk0-file".into()),
        ..BlockdevOptions::new(BlockdevOptionsBranch::File(BlockdevOptionsFile::new(image)))
    };
    client.execute(&cmd::BlockdevAdd(file_node)).await?;
    let qcow2 = BlockdevCreateOptionsQcow2::new(BlockdevRef::from("disk0-file"), 64 << 20);
    client
        .run_job(
            &cmd::BlockdevCreate::new("mkqcow2", qcow2.into()),
            "mkqcow2",
            minute,
        )
        .await?;
    println!("created {image} (qcow2, 64 MiB)");

    // The qcow2 node over the file node, and the disk on it.
    let disk = BlockdevOptions {
        node_name: Some("disk0".into()),
        ..BlockdevOptions::new(BlockdevOptionsQcow2::new(BlockdevRef::from("disk0-file")))
    };
    client.execute(&cmd::BlockdevAdd(disk)).await?;
    let device = cmd::DeviceAdd {
        id: Some("scsi-disk0".into()),
        ..cmd::DeviceAdd::new("scsi-hd")
    }
    .with("drive", "disk0")
    .with("bus", "scsi0.0");
    client.execute(&device).await?;
    for b in client.execute(&cmd::QueryBlock).await? {
        let node = b.inserted.as_ref().map(|i| i.node_name.as_deref());
        println!(
            "plugged {}: node {}",
            b.qdev.as_deref().unwrap_or(&b.device),
            node.flatten().unwrap_or("-")
        );
    }

    // Unplugging completes when the device is gone.
    let (_, deleted) = client
        .execute_until(
            &cmd::DeviceDel::new("scsi-disk0"),
            |e: &event::DeviceDeleted| e.device.as_deref() == Some("scsi-disk0"),
            Duration::from_secs(10),
        )
        .await?;
    println!(
        "unplugged {} (DEVICE_DELETED at {}.{:06})",
        deleted.event.path, deleted.timestamp.seconds, deleted.timestamp.microseconds
    );
    client.execute(&cmd::BlockdevDel::new("disk0")).await?;
    client.execute(&cmd::BlockdevDel::new("disk0-file")).await?;
    let left = client
        .execute(&cmd::QueryNamedBlockNodes::default())
        .await?;
    println!("block nodes left: {}", left.len());
    Ok(())
}
