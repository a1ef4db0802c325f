//! The storage seam (`skiff_server::store`) proved against real backends: every
//! case runs on a local folder AND on an S3 bucket of a real SeaweedFS, the
//! same code for both (`on_both!`), plus what only one of them has (symlinks
//! leaving a local root; credentials, buckets and endpoints of S3).

#[path = "../common/mod.rs"]
mod common;
mod fixtures;
mod local_only;
mod reads;
mod s3_only;
mod writes;

use reads::*;
use writes::*;

/// Runs each named case once on a local store and once on an S3 store.
macro_rules! on_both {
    ($($case:ident),* $(,)?) => {
        mod local {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::$case(super::fixtures::local().await.store.as_ref()).await;
                }
            )*
        }
        mod s3 {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let backend = super::fixtures::s3().await;
                    super::$case(backend.store.as_ref()).await;
                }
            )*
        }
    };
}

on_both!(
    stat_and_list_nested_folders_page_by_page,
    hostile_names_round_trip,
    ranged_reads,
    conditional_puts,
    deletes,
    mkdir_makes_parents,
    rename_and_copy_files,
    rename_and_copy_folders,
    walk_comes_in_key_order,
    walk_tree_gives_the_folders_too,
    multipart_parts_in_any_order,
    streamed_put_of_40_mib,
    probe_succeeds,
);
