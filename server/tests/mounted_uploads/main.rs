//! Upload sessions (PROTOCOL.md §2, §2.1) into a mounted storage (§5: the bucket
//! is the storage's name, the key a path inside it), the same test code on a
//! local folder and on an S3 bucket (a real SeaweedFS). The bytes and their
//! SHA-256 are checked where they land: on disk, or through the S3 API.
//!
//! - `sessions.rs`: sequential and parts sessions, digests, listings, `kill -9`
//! - `names.rs`: the mount's name in the default storage, unknown buckets, the
//!   raw API and metadata on mounted paths
//! - `in_store.rs`: S3 sessions as real S3 multipart uploads (ListParts before
//!   completion, sequential chunks regrouped into parts, `kill -9`)
//! - `outage.rs`: the S3 endpoint gone at completion, between and inside parts,
//!   and back
//! - `scrub.rs`: the scrub of a mounted storage

#[path = "../common/mod.rs"]
mod common;
mod helpers;
mod in_store;
mod names;
mod outage;
mod scrub;
mod sessions;
