//! Data at rest: which master keys a process uses, and the modes of what it writes.

use std::path::Path;

use anyhow::Context;
use playback_keys::MasterKeys;

use crate::config::{Backend, Config};

/// The name of the master key `playback up` keeps in its data dir when none is configured.
pub const LOCAL_MASTER_KEY: &str = "master.key";

/// The master keys of `[encryption]`. Without any, a process on embedded storage only keeps
/// one in `{data_dir}/master.key` (made on first start); a process that uses a server refuses to
/// start, since every process of a deployment must share the keys.
pub fn master_keys(config: &Config) -> anyhow::Result<MasterKeys> {
    if let Some(keys) = MasterKeys::from_config(&config.encryption)? {
        return Ok(keys);
    }
    let embedded_only = [config.log.backend, config.warehouse.backend, config.blobs.backend]
        .iter()
        .all(|backend| *backend == Backend::Embedded);
    if !embedded_only {
        anyhow::bail!(
            "no encryption key configured: a process on Kafka, ClickHouse or S3 needs [encryption] keys, the same \
             on every process (for example PLAYBACK_ENCRYPTION__KEYS='[{{id=\"k1\",key_file=\"/keys/k1\"}}]' with \
             a file of 32 random bytes; see docs/operations.md, \"Keys and rotation\")"
        );
    }
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("cannot create data dir {}", config.data_dir.display()))?;
    Ok(MasterKeys::local(&config.data_dir.join(LOCAL_MASTER_KEY))?)
}

/// Makes every file this process creates readable by its owner only (umask 077): files 0600,
/// directories 0700, from the moment they exist.
pub fn restrict_file_modes() {
    use nix::sys::stat::{umask, Mode};
    umask(Mode::from_bits_truncate(0o077));
}

/// Takes group and other permissions away from everything under `dir` (files 0600 at most,
/// directories 0700 at most), as an older version may have left it.
pub fn tighten(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let metadata = match std::fs::symlink_metadata(dir) {
        Ok(metadata) => metadata,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(error) => return Err(error),
    };
    if metadata.file_type().is_symlink() {
        return Ok(());
    }
    let mode = metadata.permissions().mode() & 0o7777;
    if mode & 0o077 != 0 {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode & 0o700))?;
    }
    if metadata.is_dir() {
        for entry in std::fs::read_dir(dir)? {
            tighten(&entry?.path())?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn tighten_leaves_nothing_for_group_or_others() {
        let dir = tempfile::tempdir().unwrap();
        let inner = dir.path().join("blobs/demo");
        std::fs::create_dir_all(&inner).unwrap();
        std::fs::write(inner.join("chunk"), b"x").unwrap();
        for path in [dir.path().join("blobs"), inner.clone()] {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        std::fs::set_permissions(inner.join("chunk"), std::fs::Permissions::from_mode(0o644)).unwrap();
        tighten(dir.path()).unwrap();
        assert_eq!([mode(&dir.path().join("blobs")), mode(&inner), mode(&inner.join("chunk"))], [0o700, 0o700, 0o600]);
    }

    #[test]
    fn a_distributed_process_without_keys_refuses_to_start() {
        let mut config = Config::default();
        config.log.backend = Backend::Server;
        let error = master_keys(&config).unwrap_err().to_string();
        assert!(error.contains("no encryption key configured"), "{error}");
    }

    #[test]
    fn playback_up_keeps_its_master_key_in_the_data_dir_readable_by_the_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config { data_dir: dir.path().join("data"), ..Config::default() };
        let first = master_keys(&config).unwrap();
        let path = config.data_dir.join(LOCAL_MASTER_KEY);
        assert_eq!(std::fs::read(&path).unwrap().len(), 32);
        assert_eq!(mode(&path), 0o600);
        let again = master_keys(&config).unwrap();
        assert_eq!(first.database_keys("log.db"), again.database_keys("log.db"));
    }
}
