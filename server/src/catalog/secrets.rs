//! The server's own secrets, kept in the database: the key that signs URLs
//! (PROTOCOL.md §6), made once at random and kept, so signed links survive a
//! restart. A read-only server whose database lives in memory gets a new key per
//! run (its signed links last until it stops).

use redb::{Database, ReadableTable, TableDefinition};

use crate::error::{store_error, AppError};

const SECRETS: TableDefinition<&str, &[u8]> = TableDefinition::new("secrets");
const SIGNING: &str = "signing";

/// A fresh random URL-signing key (the OS's randomness, through two v4 UUIDs).
pub fn new_signing_key() -> [u8; 32] {
    let mut key = [0u8; 32];
    key[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    key[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    key
}

/// The URL-signing key: read, or made and stored if there is none yet.
pub fn signing_key(db: &Database) -> Result<[u8; 32], AppError> {
    let read = db.begin_read().map_err(store_error)?;
    if let Ok(table) = read.open_table(SECRETS) {
        if let Some(found) = table.get(SIGNING).map_err(store_error)? {
            if let Ok(key) = <[u8; 32]>::try_from(found.value()) {
                return Ok(key);
            }
        }
    }
    drop(read);
    let key = new_signing_key();
    let write = db.begin_write().map_err(store_error)?;
    {
        let mut table = write.open_table(SECRETS).map_err(store_error)?;
        // Two servers racing on one file cannot happen (redb locks it); keep a key
        // another writer stored first all the same.
        if let Some(found) = table.get(SIGNING).map_err(store_error)? {
            if let Ok(existing) = <[u8; 32]>::try_from(found.value()) {
                return Ok(existing);
            }
        }
        table.insert(SIGNING, key.as_slice()).map_err(store_error)?;
    }
    write.commit().map_err(store_error)?;
    Ok(key)
}
