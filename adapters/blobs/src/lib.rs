//! Blob storage for recording chunks: a trait with a local-directory implementation
