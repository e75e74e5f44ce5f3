//! The archiver: writes zstd playback chunks to blob storage
