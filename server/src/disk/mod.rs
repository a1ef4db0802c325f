//! The default storage on the local disk, as the services use it until it moves
//! onto the [`crate::store::Store`] seam: from URL paths to files without
//! leaving the root, what an entry looks like on the wire, walking the tree,
//! free space, and placing written files atomically.
//!
//! - `paths.rs`: lexical and physical path checks
//! - `entry.rs`: ETags, dates and content types from file metadata
//! - `walk.rs`: every visible file in key order, and what a listing may show
//! - `space.rs`: refusing up front what cannot fit
//! - `place.rs`: parent folders, atomic renames, folder fsyncs

pub mod entry;
pub mod paths;
pub mod place;
pub mod space;
pub mod walk;
