//! Several block operations as one atomic transaction.
//!
//! `cargo run -p qmp-client --example transaction` starts a throwaway
//! `qemu-storage-daemon` with two disks, adds a dirty bitmap to both in
//! one `transaction`, then shows that a transaction with a failing action
//! changes nothing.

mod common;

use common::{Qemu, Result};
use qmp_client::{Client, Error};
use qmp_types::*;
use std::time::Duration;

// pub(crate): tests/examples.rs runs it against a real QEMU.
#[tokio::main(flavor = "current_thread")]
pub(crate) async fn main() -> Result {
    let qemu = Qemu::storage_daemon()?;
    run(&qemu.client().await?, &qemu).await
}

async fn run(client: &Client, qemu: &Qemu) -> Result {
    for name in ["disk0", "disk1"] {
        let image = qemu.path(&format!("{name}.img"));
        let create = cmd::BlockdevCreate::new(
            name,
            BlockdevCreateOptionsFile::new(image.as_str(), 1 << 20).into(),
        );
        client
            .run_job(&create, name, Duration::from_secs(60))
            .await?;
        let node = BlockdevOptions {
            node_name: Some(name.into()),
            ..BlockdevOptions::new(BlockdevOptionsBranch::File(BlockdevOptionsFile::new(image)))
        };
        client.execute(&cmd::BlockdevAdd(node)).await?;
    }

    // Both bitmaps, or neither.
    let both = cmd::Transaction::new(vec![
        BlockDirtyBitmapAdd::new("disk0", "backup").into(),
        BlockDirtyBitmapAdd::new("disk1", "backup").into(),
    ]);
    client.execute(&both).await?;
    print_bitmaps(client).await?;

    // The second action fails (no such node): the first is undone.
    let failing = cmd::Transaction::new(vec![
        BlockDirtyBitmapAdd::new("disk0", "second").into(),
        BlockDirtyBitmapAdd::new("nowhere", "second").into(),
    ]);
    match client.execute(&failing).await {
        Err(Error::Qmp { class, desc, .. }) => println!("refused as a whole: {class}: {desc}"),
        other => return Err(format!("the transaction should fail: {other:?}").into()),
    }
    print_bitmaps(client).await
}

async fn print_bitmaps(client: &Client) -> Result {
    for node in client
        .execute(&cmd::QueryNamedBlockNodes::default())
        .await?
    {
        let bitmaps: Vec<_> = node
            .dirty_bitmaps
            .iter()
            .flatten()
            .filter_map(|b| b.name.as_deref())
            .collect();
        println!(
            "{}: bitmaps [{}]",
            node.node_name.as_deref().unwrap_or("-"),
            bitmaps.join(", ")
        );
    }
    Ok(())
}
